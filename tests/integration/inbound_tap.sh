#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# inbound.sh behind a tap: a MicroVM's frames, written to the tap's file descriptor.
exec "$(dirname "$0")/inbound.sh" tap
