/* adu.h - Modbus TCP application data units: the read requests ventod
 * sends, and the check of each reply against its request. Pure functions
 * on bytes, with no socket and no libmodbus state, so that every rule is
 * unit-tested and fuzzed. */
#ifndef VENTO_ADU_H
#define VENTO_ADU_H

#include <stddef.h>
#include <stdint.h>

/* The MBAP header: transaction (2), protocol (2), length (2), unit (1). */
#define ADU_MBAP 7
/* A read request: the header, the function, the address and the count. */
#define ADU_REQUEST_LEN (ADU_MBAP + 5)
/* The longest ADU: 6 header bytes and a length of at most 254 (the unit and
 * a 253-byte PDU); libmodbus' MODBUS_TCP_MAX_ADU_LENGTH. */
#define ADU_MAX_LEN 260
/* Room for the text that says what is wrong with a reply. */
#define ADU_WHY_MAX 96

/* Builds into req the read request (function fc 1..4) of count items from
 * wire address for unit, with transaction id tid. */
void adu_request_build(uint8_t req[ADU_REQUEST_LEN], uint16_t tid, int unit,
                       int fc, int address, int count);

/*
 * Checks the len bytes of rsp, framed as one reply, against the request
 * req that adu_request_build made: transaction id, protocol id, the MBAP
 * length against the bytes received, unit id, function code, byte count.
 * Returns 0 for the data reply to req; a Modbus exception code (1 to 11)
 * for a well-formed exception reply to req; or -1, errno EMBBADDATA, with
 * a sentence in why (ADU_WHY_MAX bytes) saying what does not match.
 */
int adu_reply_check(const uint8_t *req, const uint8_t *rsp, size_t len,
                    char *why);

/* Copies the items of a reply that adu_reply_check accepted into out:
 * registers, or one bit per element for coils and discrete inputs. */
void adu_reply_values(const uint8_t *req, const uint8_t *rsp, uint16_t *out);

#endif
