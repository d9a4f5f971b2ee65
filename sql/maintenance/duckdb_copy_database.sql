-- Tables (with their keys), views and data into the fresh file: only live rows, densely packed.
COPY FROM DATABASE old_store TO fresh_store
