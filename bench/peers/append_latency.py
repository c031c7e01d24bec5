"""APPEND latency with Python's imaplib, as a mail client would send it.

Usage: python3 append_latency.py PORT USER PASSWORD COUNT SIZE
Prints one JSON line: {"ms": [per-APPEND milliseconds], "ok": n}.
imaplib sends the command line, waits for the continuation, then writes the literal and its
closing CRLF in separate writes (Nagle and delayed ACK apply as for any such client).
"""
import imaplib
import json
import sys
import time

port, user, password, count, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
count = max(1, min(count, 10000))
line = b"The quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnopqrstuvwxyz.\r\n"
head = b"From: a@remote.test\r\nTo: " + user.encode() + b"\r\nSubject: append latency\r\n\r\n"
body = head + line * max(1, (size - len(head)) // len(line))
imap = imaplib.IMAP4("127.0.0.1", int(port), timeout=60)
imap.login(user, password)
times = []
ok = 0
for i in range(count):
    t0 = time.perf_counter()
    typ, _ = imap.append("INBOX", None, None, body)
    times.append((time.perf_counter() - t0) * 1000)
    ok += typ == "OK"
imap.logout()
print(json.dumps({"ms": times, "ok": ok}))
