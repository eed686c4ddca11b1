/* crc32c.h - CRC-32C (Castagnoli), the checksum of spool records. */
#ifndef VENTO_CRC32C_H
#define VENTO_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC over len bytes; start with crc 0. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif
