-- A merchant's orders, newest first (GET /api/v1/orders). The list is ordered by
-- (created_at DESC, rowid DESC): every index ends with the rowid, so this ascending index
-- read backwards gives exactly that order, the cursor's position included, without a sort.
CREATE INDEX orders_merchant_created ON orders (merchant_id, created_at);
