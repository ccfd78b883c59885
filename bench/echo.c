/* echo.c - the machine's ceiling: a batched UDP responder that parses nothing. */

/*
 * recvmmsg a batch, set the QR bit of each datagram, sendmmsg it back to where it came from.
 * No DNS work at all, so its rate is what the kernel's UDP path and one core allow; a DNS
 * server on the same core cannot beat it. Exits after -l seconds (bounded) or on SIGTERM/SIGINT.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BATCH   64
#define MAX_MSG 4096

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	int port = 0, c;
	double seconds = 600;
	while ((c = getopt(argc, argv, "s:p:l:")) != -1) {
		switch (c) {
		case 's':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'l':
			seconds = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: echo -p PORT [-s 127.0.0.1] [-l SECONDS (600)]\n");
			return 2;
		}
	}
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (port <= 0 || port > 65535 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
	    seconds <= 0) {
		fprintf(stderr, "echo: need -p PORT, an IPv4 -s and -l > 0\n");
		return 2;
	}
	struct sigaction act;
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal; /* no SA_RESTART: a signal interrupts recvmmsg */
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);

	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int size = 8 << 20;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("echo: socket/bind");
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	}
	/* Wake up now and then to notice the deadline even when no traffic comes. */
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	static struct mmsghdr msgs[BATCH];
	static struct iovec iovs[BATCH];
	static struct sockaddr_in peers[BATCH];
	static uint8_t bufs[BATCH][MAX_MSG];
	struct timespec now, end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)seconds;
	unsigned long long answered = 0;
	while (!stop_flag) {
		for (int i = 0; i < BATCH; i++) {
			iovs[i].iov_base = bufs[i];
			iovs[i].iov_len = MAX_MSG;
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iovs[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &peers[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(peers[i]);
		}
		int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n > 0) {
			int out = 0;
			for (int i = 0; i < n; i++) {
				if (msgs[i].msg_len < 12 || (bufs[i][2] & 0x80)) {
					continue; /* never answer a response */
				}
				bufs[i][2] |= 0x80;
				iovs[i].iov_len = msgs[i].msg_len;
				if (out != i) {
					msgs[out] = msgs[i];
				}
				out++;
			}
			int done = 0;
			while (done < out) {
				int r = sendmmsg(fd, msgs + done, (unsigned)(out - done), 0);
				if (r <= 0) {
					break;
				}
				done += r;
			}
			answered += (unsigned)done;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK) {
			perror("echo: recvmmsg");
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec)) {
			break;
		}
	}
	close(fd);
	fprintf(stderr, "echo: answered %llu\n", answered);
	return 0;
}
