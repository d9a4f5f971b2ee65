-- The reference prices of the latest snapshot: carried for models whose removal is unconfirmed.
SELECT * FROM reference_prices
