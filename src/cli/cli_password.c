/* SPDX-License-Identifier: MIT */
/*
 * hash-password: makes the password_hash of a dashboard login for the
 * staff list in the config (yescrypt through libxcrypt, the method Debian
 * uses for /etc/shadow). The password is read from the terminal without
 * echo, twice, or as one line from standard input.
 */
#include "cli.h"

#include <crypt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int cli_read_secret(const char *prompt, bool tty, char *buf, size_t n)
{
	struct termios old, quiet;
	size_t len;
	char *ok;

	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &old) < 0)
			return -1;
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ok = fgets(buf, (int)n, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!ok)
		return -1;
	len = strlen(buf);
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return 0;
}

int cli_cmd_hash_password(struct cli *c, int argc, char **argv)
{
	char pw[256], again[256], setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data data;
	bool tty = isatty(STDIN_FILENO);
	const char *hash;
	int ret = 1;

	(void)argv;
	if (argc != 1)
		return cli_usage(c, "usage: hash-password   (reads the password from the terminal or stdin)");
	memset(&data, 0, sizeof(data));
	if (cli_read_secret("password: ", tty, pw, sizeof(pw)) < 0)
		return cli_fail(c, "no password given");
	if (strlen(pw) < 10) {
		ret = cli_usage(c, "the password must be at least 10 characters");
		goto out;
	}
	if (tty && (cli_read_secret("again: ", tty, again, sizeof(again)) < 0 || strcmp(pw, again))) {
		ret = cli_fail(c, "the passwords differ");
		goto out;
	}
	if (!crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting))) {
		ret = cli_fail(c, "cannot make a salt");
		goto out;
	}
	hash = crypt_r(pw, setting, &data);
	if (!hash || hash[0] == '*') {
		ret = cli_fail(c, "cannot hash the password");
		goto out;
	}
	printf("%s\n", hash);
	ret = 0;
out:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(again, sizeof(again));
	explicit_bzero(&data, sizeof(data));
	return ret;
}
