# SPDX-License-Identifier: GPL-2.0 OR MIT
"""mq from Python: a producer and a group consumer over mq's ABI.

Standard library only (os, fcntl, select, struct): every call is a
system call on the queues' character devices, /dev/mq/<topic>/<queue>.
The numbers and layouts below are those of uapi/linux/mq.h, written out
again because Python cannot include a C header; selftests/mq_abi prints
the header's own values and selftests/queue_pylib_test.sh compares them
with these.  Documentation/python.rst is the guide.
"""
import collections
import errno
import fcntl
import itertools
import os
import select
import struct

__all__ = ["Producer", "GroupConsumer", "Record", "murmur2", "partition",
           "crc32c", "encode_record", "decode_records"]

DEV_DIR = "/dev/mq"

# <asm-generic/ioctl.h>: dir << 30 | size << 16 | type << 8 | nr.
_IOC_WRITE = 1
_IOC_READ = 2


def _IOC(direction, typ, nr, size):
    return direction << 30 | size << 16 | typ << 8 | nr


def _IOW(typ, nr, size):
    return _IOC(_IOC_WRITE, typ, nr, size)


def _IOWR(typ, nr, size):
    return _IOC(_IOC_READ | _IOC_WRITE, typ, nr, size)


# struct mq_record: len, crc, offset, timestamp, key_len, value_len,
# producer_id, sequence, flags, magic, reserved0, reserved[2].
RECORD = struct.Struct("<IIQQIIQIHBB16x")
MQ_RECORD_HDR_SIZE = 64
MQ_RECORD_CRC_START = 8
MQ_RECORD_MAGIC = 1
MQ_NAME_MAX = 64
MQ_RECORD_BATCH_MAX = 1 << 20

# struct mq_version: size, abi, features, reserved[2].
VERSION = struct.Struct("<IIQ16x")
# struct mq_group_join: size, flags, name, start, reserved0, offset, reserved[2].
GROUP_JOIN = struct.Struct("<II64sIIQ16x")
# struct mq_commit: size, flags, offset, reserved[2].
COMMIT = struct.Struct("<IIQ16x")
# struct mq_mmap_info: size, flags, ring_size, ctrl_offset, ctrl_size,
# data_offset, data_size, ctrl (16 x __u32), reserved[4].
MMAP_INFO = struct.Struct("<IIQQQQQ64x32x")
MODE = struct.Struct("<I")

MQ_VERSION_SIZE_VER0 = 32
MQ_GROUP_JOIN_SIZE_VER0 = 104
MQ_COMMIT_SIZE_VER0 = 32
MQ_MMAP_INFO_SIZE_VER0 = 144

MQ_IOC_MAGIC = 0xb9
MQ_IOC_VERSION = _IOWR(MQ_IOC_MAGIC, 0x00, VERSION.size)
MQ_IOC_GROUP_JOIN = _IOW(MQ_IOC_MAGIC, 0x10, GROUP_JOIN.size)
MQ_IOC_COMMIT = _IOW(MQ_IOC_MAGIC, 0x11, COMMIT.size)
MQ_IOC_MMAP_INFO = _IOWR(MQ_IOC_MAGIC, 0x20, MMAP_INFO.size)
MQ_IOC_SET_MODE = _IOW(MQ_IOC_MAGIC, 0x30, MODE.size)

MQ_MODE_MESSAGE = 0
MQ_MODE_RECORD = 1

MQ_GROUP_START_LATEST = 0
MQ_GROUP_START_EARLIEST = 1
MQ_GROUP_START_OFFSET = 2
MQ_GROUP_F_AUTOCOMMIT = 1 << 0


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82f63b78 if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_CRC32C = _crc32c_table()


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli, reflected, initial and final xor ~0), as the
    kernel's crc32c() and Kafka compute it; crc continues a previous one."""
    table = _CRC32C
    crc ^= 0xffffffff
    for b in data:
        crc = table[(crc ^ b) & 0xff] ^ (crc >> 8)
    return crc ^ 0xffffffff


def murmur2(data):
    """Kafka's Utils.murmur2 of bytes, as a signed 32-bit int like Java's."""
    m = 0x5bd1e995
    mask = 0xffffffff
    length = len(data)
    h = (0x9747b28c ^ length) & mask
    n4 = length & ~3
    for i in range(0, n4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & mask
        k ^= k >> 24
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
    rest = length & 3
    if rest == 3:
        h ^= data[n4 + 2] << 16
    if rest >= 2:
        h ^= data[n4 + 1] << 8
    if rest >= 1:
        h ^= data[n4]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition(key, nqueues):
    """The queue Kafka's default partitioner picks for a key:
    toPositive(murmur2(key)) % nqueues."""
    return (murmur2(key) & 0x7fffffff) % nqueues


def _align(n):
    return (n + 7) & ~7


def encode_record(value, key=None, timestamp=0):
    """One framed record: header, key, value, zero padding to 8 bytes,
    with its CRC.  offset is 0 (the kernel sets it); a timestamp of 0
    asks the kernel for the time of the append."""
    key = b"" if key is None else bytes(key)
    value = bytes(value)
    length = MQ_RECORD_HDR_SIZE + len(key) + len(value)
    hdr = bytearray(RECORD.pack(length, 0, 0, timestamp, len(key), len(value),
                                0, 0, 0, MQ_RECORD_MAGIC, 0))
    body = hdr + key + value
    crc = crc32c(memoryview(body)[MQ_RECORD_CRC_START:])
    struct.pack_into("<I", body, 4, crc)
    body += bytes(_align(length) - length)
    return bytes(body)


Record = collections.namedtuple("Record", "queue offset timestamp key value")
Record.__doc__ = """A record read from a queue; key is None when it has none."""


def decode_records(buf, queue=None):
    """The Records in buf, what a record-mode read returned, in order.  A
    record that is cut short, is not of MQ_RECORD_MAGIC or whose CRC does
    not match raises OSError(EBADMSG)."""
    view = memoryview(buf)
    out = []
    pos = 0
    while pos < len(view):
        if len(view) - pos < MQ_RECORD_HDR_SIZE:
            raise OSError(errno.EBADMSG, "a record header is cut short")
        (length, crc, offset, timestamp, key_len, value_len, _pid, _seq,
         _flags, magic, _r0) = RECORD.unpack_from(view, pos)
        if (magic != MQ_RECORD_MAGIC or
                length != MQ_RECORD_HDR_SIZE + key_len + value_len or
                pos + length > len(view)):
            raise OSError(errno.EBADMSG, f"bad record header at byte {pos}")
        if crc32c(view[pos + MQ_RECORD_CRC_START:pos + length]) != crc:
            raise OSError(errno.EBADMSG, f"CRC mismatch in the record at offset {offset}")
        k = pos + MQ_RECORD_HDR_SIZE
        key = bytes(view[k:k + key_len]) if key_len else None
        value = bytes(view[k + key_len:pos + length])
        out.append(Record(queue, offset, timestamp, key, value))
        pos += _align(length)
    return out


def _queues(topic):
    """The queue numbers of topic, from its folder; FileNotFoundError if
    there is no such topic."""
    path = os.path.join(DEV_DIR, topic)
    return path, sorted(int(n) for n in os.listdir(path) if n.isdigit())


def _set_mode(fd, mode):
    fcntl.ioctl(fd, MQ_IOC_SET_MODE, MODE.pack(mode))


class Producer:
    """Writes to every queue of a topic.

    send() writes one message now: keyless in message mode, to the next
    queue round-robin; keyed as one framed record (record mode) to the
    queue Kafka's default partitioner would pick.  append() buffers a
    record per queue and flush() writes each queue's buffer in as few
    record-mode writes as MQ_RECORD_BATCH_MAX and the ring allow.
    Errors are the kernel's, as OSError."""

    def __init__(self, topic):
        self.topic = topic
        self._path, self.queues = _queues(topic)
        if not self.queues:
            raise FileNotFoundError(errno.ENOENT, "topic has no queue", self._path)
        self._msg_fds = {}
        self._rec_fds = {}
        self._rr = itertools.cycle(range(len(self.queues)))
        self._pending = {}
        self._batch_max = None

    def _fd(self, queue, record):
        fds = self._rec_fds if record else self._msg_fds
        fd = fds.get(queue)
        if fd is None:
            if queue not in self.queues:
                raise OSError(errno.ENOENT, f"topic {self.topic} has no queue {queue}")
            fd = os.open(os.path.join(self._path, str(queue)), os.O_WRONLY | os.O_CLOEXEC)
            if record:
                try:
                    _set_mode(fd, MQ_MODE_RECORD)
                except OSError:
                    os.close(fd)
                    raise
            fds[queue] = fd
        return fd

    def _pick(self, key, queue):
        if queue is not None:
            return queue
        if key is not None:
            return self.queues[partition(bytes(key), len(self.queues))]
        return self.queues[next(self._rr)]

    def send(self, value, key=None, queue=None):
        """Append value (with key, if any) to queue, or to the queue the
        key or the round-robin picks; returns the queue."""
        q = self._pick(key, queue)
        if key is None:
            os.write(self._fd(q, False), value)
        else:
            os.write(self._fd(q, True), encode_record(value, key))
        return q

    def append(self, value, key=None, queue=None):
        """Buffer a record for the next flush(); returns its queue."""
        q = self._pick(key, queue)
        if queue is not None and q not in self.queues:
            raise OSError(errno.ENOENT, f"topic {self.topic} has no queue {q}")
        self._pending.setdefault(q, []).append(encode_record(value, key))
        return q

    def send_batch(self, messages):
        """append() each of messages, a value or a (key, value) pair, then
        flush(); returns {queue: records written}."""
        for m in messages:
            if isinstance(m, tuple):
                self.append(m[1], key=m[0])
            else:
                self.append(m)
        return self.flush()

    def _limit(self, fd):
        # A call may carry MQ_RECORD_BATCH_MAX bytes and no more than the
        # ring: ask the ring's size of the queue (MQ_IOC_MMAP_INFO).
        if self._batch_max is None:
            arg = bytearray(MMAP_INFO.size)
            struct.pack_into("<I", arg, 0, MMAP_INFO.size)
            fcntl.ioctl(fd, MQ_IOC_MMAP_INFO, arg, True)
            ring_size = MMAP_INFO.unpack(arg)[2]
            self._batch_max = min(MQ_RECORD_BATCH_MAX, ring_size // 2)
        return self._batch_max

    def flush(self):
        """Write every buffered record, queue by queue, in order; returns
        {queue: records written}.  A write the kernel refuses appends
        none of its records: they are dropped from the buffer and its
        OSError raised, the queues not yet written staying buffered."""
        done = {}
        while self._pending:
            q = next(iter(self._pending))
            recs = self._pending[q]
            fd = self._fd(q, True)
            limit = self._limit(fd)
            n = size = 0
            while n < len(recs) and (n == 0 or size + len(recs[n]) <= limit):
                size += len(recs[n])
                n += 1
            chunk, self._pending[q] = recs[:n], recs[n:]
            if not self._pending[q]:
                del self._pending[q]
            os.write(fd, b"".join(chunk))
            done[q] = done.get(q, 0) + n
        return done

    def close(self):
        """flush(), then close every queue."""
        try:
            self.flush()
        finally:
            for fd in itertools.chain(self._msg_fds.values(), self._rec_fds.values()):
                os.close(fd)
            self._msg_fds.clear()
            self._rec_fds.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class GroupConsumer:
    """A member of consumer group `group` on every queue of a topic.

    start says where the group begins on a queue where it does not exist
    yet: 'earliest' (the oldest retained record), 'latest' (the next one
    written: Kafka's default) or an offset, the same on every queue.  An
    existing group goes on from where it is.  Without autocommit the
    member commits what it has processed (commit(), commit_all()): what
    it read and did not commit is delivered to another member once it
    closes or dies (at-least-once).  With autocommit each record is
    acknowledged as it is read (at-most-once)."""

    def __init__(self, topic, group, start="latest", autocommit=False,
                 bufsize=1 << 20):
        self.topic = topic
        self.group = group
        path, self.queues = _queues(topic)
        if start == "latest":
            how, offset = MQ_GROUP_START_LATEST, 0
        elif start == "earliest":
            how, offset = MQ_GROUP_START_EARLIEST, 0
        elif isinstance(start, int) and not isinstance(start, bool) and start >= 0:
            how, offset = MQ_GROUP_START_OFFSET, start
        else:
            raise ValueError(f"start must be 'earliest', 'latest' or an offset, not {start!r}")
        name = group.encode() if isinstance(group, str) else bytes(group)
        join = GROUP_JOIN.pack(GROUP_JOIN.size,
                               MQ_GROUP_F_AUTOCOMMIT if autocommit else 0,
                               name, how, 0, offset)
        self.bufsize = bufsize
        self._fds = {}
        self._by_fd = {}
        self._next = {}
        self._committed = {}
        self._poll = select.poll()
        try:
            for q in self.queues:
                fd = os.open(os.path.join(path, str(q)),
                             os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
                self._fds[q] = fd
                self._by_fd[fd] = q
                fcntl.ioctl(fd, MQ_IOC_GROUP_JOIN, join)
                _set_mode(fd, MQ_MODE_RECORD)
                self._poll.register(fd, select.POLLIN)
        except BaseException:
            self.close()
            raise

    def _read(self, q):
        while True:
            try:
                buf = os.read(self._fds[q], self.bufsize)
            except BlockingIOError:
                return []          # another member took it first
            except OSError as e:
                if e.errno != errno.EMSGSIZE or self.bufsize >= 1 << 31:
                    raise
                self.bufsize *= 2  # a record larger than the buffer
                continue
            recs = decode_records(buf, q)
            if recs:
                self._next[q] = max(self._next.get(q, 0),
                                    max(r.offset for r in recs) + 1)
            return recs

    def poll(self, timeout=None):
        """Wait up to timeout seconds (None: for ever) for records on any
        queue, then read what is there, one read per ready queue; returns
        the Records, in order within each queue ([] on timeout)."""
        ms = None if timeout is None else max(0, int(timeout * 1000))
        out = []
        for fd, _ev in self._poll.poll(ms):
            out.extend(self._read(self._by_fd[fd]))
        return out

    def commit(self, queue, offset):
        """MQ_IOC_COMMIT on queue: done with every record this member got
        there below offset."""
        fcntl.ioctl(self._fds[queue], MQ_IOC_COMMIT,
                    COMMIT.pack(COMMIT.size, 0, offset))
        self._committed[queue] = max(self._committed.get(queue, 0), offset)

    def commit_all(self):
        """Commit everything returned so far, on every queue."""
        for q, off in self._next.items():
            self.commit(q, max(off, self._committed.get(q, 0)))

    def close(self):
        """Leave the group: what was not committed goes to another member."""
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
        self._by_fd.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
