SELECT * FROM performance
