"""The demo's shared password: every demo account has it, so the start banner can tell them apart
from accounts people created on the site."""

PASSWORD = "demo-pass-2024"
