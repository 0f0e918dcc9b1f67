-- Runs once, when the compose Postgres volume is created. The tables themselves
-- come from migrations/, which imgup-api and imgup-auth apply at start-up.
SELECT 'imgup database initialised' AS status;
