"""`python -m tre.native`: build the native HMAC extension now (as `make install` does) and
say whether it is in use; without a compiler the TRE still works, hashing in SQL."""

from __future__ import annotations

from tre import native

if __name__ == "__main__":
    state = native.status()
    if state == "native":
        print(f"native HMAC extension ready ({native.cache_dir()})")
    else:
        print(f"native HMAC extension unavailable, pseudonyms will be hashed in SQL: {state}")
