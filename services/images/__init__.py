"""The images service: content store, image records, registry pull, import, unpack."""
