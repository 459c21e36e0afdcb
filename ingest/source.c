/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest/source.c - the calls through the source function table, message
 * arrays and checkpoints. No state of its own; thread-safety is that of the
 * source object.
 */
#include <stdlib.h>

#include "ingest/source.h"

int rb_source_open(struct rb_source *s, struct rb_error *err)
{
	rb_error_clear(err);
	return s->ops->open(s, err);
}

int rb_source_fetch(struct rb_source *s, size_t max,
		    struct rb_source_msg **msgs_r, size_t *n_r,
		    struct rb_error *err)
{
	rb_error_clear(err);
	*msgs_r = NULL;
	*n_r = 0;
	return s->ops->fetch(s, max, msgs_r, n_r, err);
}

int rb_source_ack(struct rb_source *s, const struct rb_source_msg *msgs,
		  const enum rb_ack *acks, size_t n, struct rb_error *err)
{
	rb_error_clear(err);
	if (n == 0)
		return 0;
	return s->ops->ack(s, msgs, acks, n, err);
}

int rb_source_wait(struct rb_source *s, int timeout_s, volatile int *stop,
		   struct rb_error *err)
{
	static volatile int never;

	rb_error_clear(err);
	return s->ops->wait(s, timeout_s < 0 ? 0 : timeout_s,
			    stop != NULL ? stop : &never, err);
}

void rb_source_close(struct rb_source *s)
{
	if (s != NULL)
		s->ops->close(s);
}

void rb_source_free(struct rb_source **sp)
{
	struct rb_source *s;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	*sp = NULL;
	s->ops->close(s);
	s->destroy(s);
}

void rb_source_msgs_free(struct rb_source_msg **msgs, size_t n)
{
	size_t i;

	if (msgs == NULL || *msgs == NULL)
		return;
	for (i = 0; i < n; i++) {
		free((*msgs)[i].id);
		free((*msgs)[i].data);
	}
	free(*msgs);
	*msgs = NULL;
}

void rb_source_get_checkpoint(const struct rb_source *s,
			      struct rb_source_checkpoint *cp_r)
{
	*cp_r = s->cp;
}

void rb_source_set_checkpoint(struct rb_source *s,
			      const struct rb_source_checkpoint *cp)
{
	s->cp = *cp;
}

bool rb_source_checkpoint_reset(struct rb_source *s)
{
	bool r = s->cp_reset;

	s->cp_reset = false;
	return r;
}
