-- See sqlite/004_orders_list.sql. The list's order is (created_at DESC, rowid DESC).
CREATE INDEX orders_merchant_created ON orders (merchant_id, created_at, rowid);
