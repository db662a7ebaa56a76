"""What a working note looks like when it leaks into a text (issue #14)."""

from __future__ import annotations

# Working notes that once sat inside texts shown to officials or printed in decisions.
NOTE_MARKERS = [
    "chưa đọc được nguyên văn",
    "cần rà soát",
    "chưa xác minh",
    "chưa được xác minh",
    "chưa tra cứu",
    "bước mẫu",
    "bản sao tạm thời",
    "not verified",
    "not retrieved",
    "not confirmed",
    "needs review",
    "needs legal review",
    "template step",
    "provisional copy",
    "was not read",
    "cut off",
]
