/* The emulated platform's parts that live in separate files. */
#ifndef OMEGA_EMU_H
#define OMEGA_EMU_H

#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

/* Emulated H100 evidence: SPDM GET_MEASUREMENTS request+response binding nonce, and its PEM chain. */
int omega_emu_gpu_evidence(const uint8_t nonce[32], struct omega_buf *report, struct omega_buf *chain,
                           struct omega_error *err);

#endif
