/* The man page, embedded so that `ironbox install` can install it from the
 * binary alone (docs/ironbox.8; the path is relative to the top of the
 * source tree, where make runs the compiler). */
#include "admin/install.h"

__asm__(".section .rodata\n"
	".global ib_manpage\n"
	".type ib_manpage, @object\n"
	".balign 16\n"
	"ib_manpage:\n"
	".incbin \"docs/ironbox.8\"\n"
	".byte 0\n"
	".size ib_manpage, . - ib_manpage\n"
	".previous\n");
