/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/fuzz/driver.c - a standalone main() for compilers without libFuzzer:
 * runs LLVMFuzzerTestOneInput once on each file named on the command line,
 * so ctest replays the seed corpus and every saved reproducer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRIVER_MAX_INPUT (64u * 1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads @path into an exactly-sized heap buffer (so a sanitizer sees any
 * read past the end). Returns 0, or -1 with a message on stderr. */
static int read_file(const char *path, uint8_t **data_r, size_t *size_r)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (fp == NULL) {
		perror(path);
		return -1;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *nb;

			cap = cap ? cap * 2 : 4096;
			if (cap > DRIVER_MAX_INPUT) {
				fprintf(stderr, "%s: larger than %u bytes\n",
					path, DRIVER_MAX_INPUT);
				free(buf);
				fclose(fp);
				return -1;
			}
			nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(fp);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		perror(path);
		free(buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	/* shrink to the exact size; keep a 1-byte block for empty files */
	*data_r = malloc(len ? len : 1);
	if (*data_r == NULL) {
		free(buf);
		return -1;
	}
	if (len)
		memcpy(*data_r, buf, len);
	free(buf);
	*size_r = len;
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		uint8_t *data;
		size_t size;

		if (read_file(argv[i], &data, &size) < 0) {
			failed = 1;
			continue;
		}
		(void)LLVMFuzzerTestOneInput(data, size);
		free(data);
		printf("ok %s (%zu bytes)\n", argv[i], size);
	}
	return failed;
}
