/* base/cursor.h - bounded byte reader and writer with a sticky error (after Knot's wire_ctx). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * A reader over [start, end). Reads past the end set `err` and return zero; later reads keep
 * failing. Parsing code therefore needs no bounds checks of its own: it checks `err` once.
 */
struct rcur {
	const uint8_t *start;
	const uint8_t *p;
	const uint8_t *end;
	bool err;
};

static inline void rcur_init(struct rcur *c, const uint8_t *buf, size_t len)
{
	c->start = buf;
	c->p = buf;
	c->end = buf + len;
	c->err = false;
}

static inline size_t rcur_left(const struct rcur *c)
{
	return c->err ? 0 : (size_t)(c->end - c->p);
}

static inline size_t rcur_pos(const struct rcur *c)
{
	return (size_t)(c->p - c->start);
}

static inline bool rcur_need(struct rcur *c, size_t n)
{
	if (c->err || (size_t)(c->end - c->p) < n) {
		c->err = true;
		return false;
	}
	return true;
}

static inline uint8_t rcur_u8(struct rcur *c)
{
	if (!rcur_need(c, 1))
		return 0;
	return *c->p++;
}

static inline uint16_t rcur_u16(struct rcur *c)
{
	if (!rcur_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	return v;
}

static inline uint32_t rcur_u32(struct rcur *c)
{
	if (!rcur_need(c, 4))
		return 0;
	uint32_t v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 |
		     c->p[3];
	c->p += 4;
	return v;
}

static inline void rcur_skip(struct rcur *c, size_t n)
{
	if (rcur_need(c, n))
		c->p += n;
}

/* A writer over [start, end). Writes that do not fit set `err` and write nothing. */
struct wcur {
	uint8_t *start;
	uint8_t *p;
	uint8_t *end;
	bool err;
};

static inline void wcur_init(struct wcur *c, uint8_t *buf, size_t cap)
{
	c->start = buf;
	c->p = buf;
	c->end = buf + cap;
	c->err = false;
}

static inline size_t wcur_pos(const struct wcur *c)
{
	return (size_t)(c->p - c->start);
}

static inline bool wcur_need(struct wcur *c, size_t n)
{
	if (c->err || (size_t)(c->end - c->p) < n) {
		c->err = true;
		return false;
	}
	return true;
}

static inline void wcur_u8(struct wcur *c, uint8_t v)
{
	if (wcur_need(c, 1))
		*c->p++ = v;
}

static inline void wcur_u16(struct wcur *c, uint16_t v)
{
	if (wcur_need(c, 2)) {
		c->p[0] = (uint8_t)(v >> 8);
		c->p[1] = (uint8_t)v;
		c->p += 2;
	}
}

static inline void wcur_u32(struct wcur *c, uint32_t v)
{
	if (wcur_need(c, 4)) {
		c->p[0] = (uint8_t)(v >> 24);
		c->p[1] = (uint8_t)(v >> 16);
		c->p[2] = (uint8_t)(v >> 8);
		c->p[3] = (uint8_t)v;
		c->p += 4;
	}
}

static inline void wcur_bytes(struct wcur *c, const void *b, size_t n)
{
	if (wcur_need(c, n)) {
		memcpy(c->p, b, n);
		c->p += n;
	}
}

static inline uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
