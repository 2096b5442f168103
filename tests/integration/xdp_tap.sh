#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# xdp.sh behind a tap: a MicroVM's frames, judged on the tap's XDP hook.
exec "$(dirname "$0")/xdp.sh" tap
