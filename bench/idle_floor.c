/* SPDX-License-Identifier: MIT */
/*
 * The idle-memory baseline: a program that does nothing but is linked
 * against exactly the libraries budbringerd is. Its resident size is what
 * loading them costs (relocations, constructors such as GnuTLS's, the
 * kernel's fault-around) before a line of Budbringer runs; the daemon's
 * idle RSS is compared with it.
 */
#include <unistd.h>

int main(void)
{
	pause();
	return 0;
}
