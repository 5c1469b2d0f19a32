// SPDX-License-Identifier: GPL-2.0
/* What the descriptor-based transports share. */
#include <unistd.h>

#include "transport.h"

void chan_init(struct chan *ch, size_t msg_size)
{
	ch->tx = -1;
	ch->rx = -1;
	ch->mem = NULL;
	ch->mem_len = 0;
	ch->msg_size = msg_size;
	ch->tx_seen = 0;
	ch->rx_seen = 0;
	ch->rx_state = NULL;
}

void chan_keep_fds(struct chan *ch, enum chan_end end)
{
	int *drop = end == CHAN_TX ? &ch->rx : &ch->tx;

	if (*drop >= 0 && ch->tx != ch->rx)
		close(*drop);
	*drop = -1;
}

void chan_close_fds(struct chan *ch)
{
	if (ch->tx >= 0)
		close(ch->tx);
	if (ch->rx >= 0 && ch->rx != ch->tx)
		close(ch->rx);
	ch->tx = -1;
	ch->rx = -1;
}
