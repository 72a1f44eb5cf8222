/* A growing text buffer for the renderers (procview.h). */
#ifndef IRONBOX_TEXTBUF_H
#define IRONBOX_TEXTBUF_H

#include <stddef.h>

struct ib_textbuf {
	char *p;
	size_t len, cap;
};

void ib_textbuf_add(struct ib_textbuf *b, const char *s, size_t n);
void ib_textbuf_printf(struct ib_textbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The text (an empty string if nothing was added); the buffer is the
 * caller's to free. */
char *ib_textbuf_take(struct ib_textbuf *b);

/* Each line of text: for (const char *l = text; l; l = ib_next_line(l)). */
const char *ib_next_line(const char *l);

#endif
