ATTACH $path AS fresh_store
