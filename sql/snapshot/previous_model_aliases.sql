-- How sources named the models of the latest snapshot: carried for models whose removal is unconfirmed.
SELECT * FROM model_aliases
