SET LOCAL search_path TO curated, public;
