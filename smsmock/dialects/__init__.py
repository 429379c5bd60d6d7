"""One module per dialect: routes, request decoding and reply rendering over the shared core."""
