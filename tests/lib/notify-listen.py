#!/usr/bin/env python3
"""notify-listen.py SOCKET LOG - stands in for systemd's notification socket:
receives sd_notify datagrams and writes each as a line, "MONOTONIC_MS
message" with the message's newlines shown as '|'. Ends on SIGTERM."""
import os
import signal
import socket
import sys
import time

path, log = sys.argv[1], sys.argv[2]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
with open(log, "a", buffering=1) as out:
    while True:
        msg = sock.recv(4096).decode("utf-8", "replace")
        out.write("%d %s\n" % (time.monotonic() * 1000, msg.replace("\n", "|")))
