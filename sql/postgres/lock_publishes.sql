-- One catalog commit at a time: a second waits for the first to finish instead of interleaving.
LOCK TABLE curated.publishes IN EXCLUSIVE MODE
