//! One test per generated operation of the spec, grouped in the spec's order (by tag).

#![allow(clippy::redundant_clone)]

read_test!(list_products, GET, "/api/v3/products", |c| c
    .raw()
    .list_products()
    .send());
write_test!(
    create_product,
    POST,
    "/api/v3/products",
    |c, body: ProductCreate| c.raw().create_product().body(body).send()
);
read_test!(get_product, GET, "/api/v3/products/7", |c| c
    .raw()
    .get_product()
    .product_id(7)
    .send());
write_test!(
    update_product,
    PUT,
    "/api/v3/products/7",
    |c, body: ProductUpdate| c.raw().update_product().product_id(7).body(body).send()
);
write_test!(delete_product, DELETE, "/api/v3/products/7", |c| c
    .raw()
    .delete_product()
    .product_id(7)
    .send());
read_test!(
    get_product_cost_history,
    GET,
    "/api/v3/products/7/cost-history",
    |c| c.raw().get_product_cost_history().product_id(7).send()
);
read_test!(
    get_product_balance,
    GET,
    "/api/v3/products/7/balance",
    |c| c.raw().get_product_balance().product_id(7).send()
);
read_test!(
    list_product_compositions,
    GET,
    "/api/v3/products/7/compositions",
    |c| c.raw().list_product_compositions().product_id(7).send()
);
write_test!(
    update_product_attributes,
    PUT,
    "/api/v3/products/7/attributes",
    |c, body: ProductAttributesUpdate| c
        .raw()
        .update_product_attributes()
        .product_id(7)
        .body(body)
        .send()
);
read_test!(list_product_apps, GET, "/api/v3/products/7/apps", |c| c
    .raw()
    .list_product_apps()
    .product_id(7)
    .send());
read_test!(get_product_app, GET, "/api/v3/products/7/apps/7", |c| c
    .raw()
    .get_product_app()
    .product_id(7)
    .app_id(7)
    .send());
read_test!(list_categories, GET, "/api/v3/categories", |c| c
    .raw()
    .list_categories()
    .send());
write_test!(
    create_category,
    POST,
    "/api/v3/categories",
    |c, body: CategoryCreate| c.raw().create_category().body(body).send()
);
read_test!(get_category, GET, "/api/v3/categories/7", |c| c
    .raw()
    .get_category()
    .category_id(7)
    .send());
write_test!(
    update_category,
    PUT,
    "/api/v3/categories/7",
    |c, body: CategoryUpdate| c.raw().update_category().category_id(7).body(body).send()
);
read_test!(list_units, GET, "/api/v3/units", |c| c
    .raw()
    .list_units()
    .send());
write_test!(create_unit, POST, "/api/v3/units", |c, body: UnitCreate| c
    .raw()
    .create_unit()
    .body(body)
    .send());
read_test!(list_attributes, GET, "/api/v3/attributes", |c| c
    .raw()
    .list_attributes()
    .send());
write_test!(
    create_attribute,
    POST,
    "/api/v3/attributes",
    |c, body: AttributeCreate| c.raw().create_attribute().body(body).send()
);
read_test!(list_price_lists, GET, "/api/v3/price-lists", |c| c
    .raw()
    .list_price_lists()
    .send());
write_test!(
    create_price_list,
    POST,
    "/api/v3/price-lists",
    |c, body: PriceListCreate| c.raw().create_price_list().body(body).send()
);
read_test!(
    list_price_list_items,
    GET,
    "/api/v3/price-lists/7/items",
    |c| c.raw().list_price_list_items().price_list_id(7).send()
);
write_test!(
    upsert_price_list_items,
    PATCH,
    "/api/v3/price-lists/7/items",
    |c, body: PriceListItemsUpsert| c
        .raw()
        .upsert_price_list_items()
        .price_list_id(7)
        .body(body)
        .send()
);
read_test!(
    list_price_list_product_grids,
    GET,
    "/api/v3/price-lists/7/items/7/grids",
    |c| c
        .raw()
        .list_price_list_product_grids()
        .price_list_id(7)
        .product_id(7)
        .send()
);
read_test!(list_bulks, GET, "/api/v3/bulks", |c| c
    .raw()
    .list_bulks()
    .send());
write_test!(
    add_bulk_items,
    POST,
    "/api/v3/bulks/items-add",
    |c, body: BulkItemsChange| c.raw().add_bulk_items().body(body).send()
);
write_test!(
    remove_bulk_items,
    POST,
    "/api/v3/bulks/items-remove",
    |c, body: BulkItemsChange| c.raw().remove_bulk_items().body(body).send()
);
write_test!(
    finish_bulk,
    POST,
    "/api/v3/bulks/finish",
    |c, body: BulkFinish| c.raw().finish_bulk().body(body).send()
);
read_test!(get_bulk, GET, "/api/v3/bulks/7", |c| c
    .raw()
    .get_bulk()
    .bulk_id(7)
    .send());
read_test!(list_bulk_items, GET, "/api/v3/bulks/7/items", |c| c
    .raw()
    .list_bulk_items()
    .bulk_id(7)
    .send());
read_test!(list_apps, GET, "/api/v3/apps", |c| c
    .raw()
    .list_apps()
    .send());
read_test!(list_app_items, GET, "/api/v3/apps/7/items", |c| c
    .raw()
    .list_app_items()
    .app_id(7)
    .send());
write_test!(
    upsert_app_items,
    PUT,
    "/api/v3/apps/7/items",
    |c, body: AppItemsUpsert| c.raw().upsert_app_items().app_id(7).body(body).send()
);
write_test!(
    upsert_app_item_options,
    PUT,
    "/api/v3/apps/7/items/7/options",
    |c, body: AppItemOptionsUpsert| c
        .raw()
        .upsert_app_item_options()
        .app_id(7)
        .product_id(7)
        .body(body)
        .send()
);
read_test!(list_sale_orders, GET, "/api/v3/sale-orders", |c| c
    .raw()
    .list_sale_orders()
    .send());
write_test!(
    create_sale_order,
    POST,
    "/api/v3/sale-orders",
    |c, body: SaleOrderCreate| c.raw().create_sale_order().body(body).send()
);
write_test!(
    update_sale_order,
    PUT,
    "/api/v3/sale-orders/7",
    |c, body: SaleOrderUpdate| c
        .raw()
        .update_sale_order()
        .sale_order_id(7)
        .body(body)
        .send()
);
write_test!(
    update_sale_order_status,
    PUT,
    "/api/v3/sale-orders/7/status",
    |c, body: SaleOrderStatusUpdate| c
        .raw()
        .update_sale_order_status()
        .sale_order_id(7)
        .body(body)
        .send()
);
write_test!(
    convert_sale_orders_to_sales,
    POST,
    "/api/v3/sale-orders/convert-to-sale",
    |c, body: SaleOrderConvertRequest| c.raw().convert_sale_orders_to_sales().body(body).send()
);
read_test!(list_sales, GET, "/api/v3/sales", |c| c
    .raw()
    .list_sales()
    .send());
read_test!(get_sale, GET, "/api/v3/sales/7", |c| c
    .raw()
    .get_sale()
    .sale_id(7)
    .send());
read_test!(list_sale_incomes, GET, "/api/v3/sales/7/incomes", |c| c
    .raw()
    .list_sale_incomes()
    .sale_id(7)
    .send());
read_test!(list_statuses, GET, "/api/v3/status", |c| c
    .raw()
    .list_statuses()
    .send());
write_test!(
    sync_status_details,
    PUT,
    "/api/v3/status/sync-details",
    |c, body: StatusSyncDetailsRequest| c.raw().sync_status_details().body(body).send()
);
read_test!(list_promotions, GET, "/api/v3/promotions", |c| c
    .raw()
    .list_promotions()
    .send());
write_test!(
    create_promotion,
    POST,
    "/api/v3/promotions",
    |c, body: PromotionCreate| c.raw().create_promotion().body(body).send()
);
read_test!(get_promotion, GET, "/api/v3/promotions/7", |c| c
    .raw()
    .get_promotion()
    .promotion_id(7)
    .send());
write_test!(
    update_promotion,
    PUT,
    "/api/v3/promotions/7",
    |c, body: PromotionUpdate| c.raw().update_promotion().promotion_id(7).body(body).send()
);
read_test!(
    list_promotion_vouchers,
    GET,
    "/api/v3/promotions/7/vouchers",
    |c| c.raw().list_promotion_vouchers().promotion_id(7).send()
);
read_test!(list_command_series, GET, "/api/v3/command-series", |c| c
    .raw()
    .list_command_series()
    .send());
write_test!(
    create_command_series,
    POST,
    "/api/v3/command-series",
    |c, body: CommandSeriesCreate| c.raw().create_command_series().body(body).send()
);
read_test!(list_customers, GET, "/api/v3/customers", |c| c
    .raw()
    .list_customers()
    .send());
write_test!(
    create_customer,
    POST,
    "/api/v3/customers",
    |c, body: CustomerCreate| c.raw().create_customer().body(body).send()
);
read_test!(get_customer, GET, "/api/v3/customers/7", |c| c
    .raw()
    .get_customer()
    .customer_id(7)
    .send());
write_test!(
    update_customer,
    PUT,
    "/api/v3/customers/7",
    |c, body: CustomerUpdate| c.raw().update_customer().customer_id(7).body(body).send()
);
read_test!(
    list_customer_documents,
    GET,
    "/api/v3/customers/7/documents",
    |c| c.raw().list_customer_documents().customer_id(7).send()
);
read_test!(
    list_customer_categories,
    GET,
    "/api/v3/customer-categories",
    |c| c.raw().list_customer_categories().send()
);
read_test!(list_payment_methods, GET, "/api/v3/payments", |c| c
    .raw()
    .list_payment_methods()
    .send());
write_test!(
    create_payment_method,
    POST,
    "/api/v3/payments",
    |c, body: PaymentMethodWrite| c.raw().create_payment_method().body(body).send()
);
write_test!(
    update_payment_method,
    PUT,
    "/api/v3/payments/7",
    |c, body: PaymentMethodWrite| c
        .raw()
        .update_payment_method()
        .payment_id(7)
        .body(body)
        .send()
);
read_test!(list_bank_accounts, GET, "/api/v3/bank-accounts", |c| c
    .raw()
    .list_bank_accounts()
    .send());
read_test!(
    get_bank_account_history,
    GET,
    "/api/v3/bank-accounts/7/history",
    |c| c.raw().get_bank_account_history().bank_account_id(7).send()
);
read_test!(
    list_financial_transactions,
    GET,
    "/api/v3/financial/transactions",
    |c| c.raw().list_financial_transactions().send()
);
read_test!(
    list_account_plans,
    GET,
    "/api/v3/financial/account-plans",
    |c| c.raw().list_account_plans().send()
);
read_test!(list_card_contracts, GET, "/api/v3/cards/contracts", |c| c
    .raw()
    .list_card_contracts()
    .send());
write_test!(
    create_card_contract,
    POST,
    "/api/v3/cards/contracts",
    |c, body: CardContractWrite| c.raw().create_card_contract().body(body).send()
);
write_test!(
    update_card_contract,
    PUT,
    "/api/v3/cards/contracts/7",
    |c, body: CardContractWrite| c
        .raw()
        .update_card_contract()
        .card_contract_id(7)
        .body(body)
        .send()
);
read_test!(list_stocks, GET, "/api/v3/stocks", |c| c
    .raw()
    .list_stocks()
    .send());
write_test!(
    create_stock,
    POST,
    "/api/v3/stocks",
    |c, body: StockCreate| c.raw().create_stock().body(body).send()
);
read_test!(list_stock_products, GET, "/api/v3/stocks/7/products", |c| c
    .raw()
    .list_stock_products()
    .stock_id(7)
    .send());
read_test!(
    get_stock_product_balance,
    GET,
    "/api/v3/stocks/7/products/7/balance",
    |c| c
        .raw()
        .get_stock_product_balance()
        .stock_id(7)
        .product_id(7)
        .send()
);
read_test!(
    list_stock_product_movements,
    GET,
    "/api/v3/stocks/7/products/7/movements",
    |c| c
        .raw()
        .list_stock_product_movements()
        .stock_id(7)
        .product_id(7)
        .send()
);
write_test!(
    delete_stock_product_movement,
    PATCH,
    "/api/v3/stocks/7/products/7/movements/7",
    |c, body: StockMovementDelete| c
        .raw()
        .delete_stock_product_movement()
        .stock_id(7)
        .product_id(7)
        .stock_movement_id(7)
        .body(body)
        .send()
);
write_test!(
    create_stock_movements,
    POST,
    "/api/v3/stocks/7/movements",
    |c, body: StockMovementCreate| c
        .raw()
        .create_stock_movements()
        .stock_id(7)
        .body(body)
        .send()
);
read_test!(
    get_stock_movement_composition,
    GET,
    "/api/v3/stocks/7/movements/7/composition",
    |c| c
        .raw()
        .get_stock_movement_composition()
        .stock_id(7)
        .stock_movement_id(7)
        .send()
);
read_test!(
    list_stock_inventories,
    GET,
    "/api/v3/stocks/7/inventories",
    |c| c.raw().list_stock_inventories().stock_id(7).send()
);
write_test!(
    create_stock_inventory,
    POST,
    "/api/v3/stocks/7/inventories",
    |c, body: StockInventoryCreate| c
        .raw()
        .create_stock_inventory()
        .stock_id(7)
        .body(body)
        .send()
);
read_test!(
    get_stock_inventory,
    GET,
    "/api/v3/stocks/7/inventories/7",
    |c| c
        .raw()
        .get_stock_inventory()
        .stock_id(7)
        .inventory_id(7)
        .send()
);
read_test!(
    list_stock_inventory_items,
    GET,
    "/api/v3/stocks/7/inventories/7/items",
    |c| c
        .raw()
        .list_stock_inventory_items()
        .stock_id(7)
        .inventory_id(7)
        .send()
);
write_test!(
    update_stock_inventory_items,
    PUT,
    "/api/v3/stocks/7/inventories/7/items",
    |c, body: StockInventoryItemsUpdate| c
        .raw()
        .update_stock_inventory_items()
        .stock_id(7)
        .inventory_id(7)
        .body(body)
        .send()
);
read_test!(list_stock_transfers, GET, "/api/v3/stock-transfers", |c| c
    .raw()
    .list_stock_transfers()
    .send());
write_test!(
    create_stock_transfer,
    POST,
    "/api/v3/stock-transfers",
    |c, body: StockTransferCreate| c.raw().create_stock_transfer().body(body).send()
);
read_test!(list_purchases, GET, "/api/v3/purchases", |c| c
    .raw()
    .list_purchases()
    .send());
write_test!(
    create_purchase,
    POST,
    "/api/v3/purchases",
    |c, body: PurchaseWrite| c.raw().create_purchase().body(body).send()
);
read_test!(get_purchase, GET, "/api/v3/purchases/7", |c| c
    .raw()
    .get_purchase()
    .purchase_id(7)
    .send());
write_test!(
    update_purchase,
    PUT,
    "/api/v3/purchases/7",
    |c, body: PurchaseWrite| c.raw().update_purchase().purchase_id(7).body(body).send()
);
read_test!(list_purchase_items, GET, "/api/v3/purchases/7/items", |c| c
    .raw()
    .list_purchase_items()
    .purchase_id(7)
    .send());
read_test!(
    list_purchase_invoices,
    GET,
    "/api/v3/purchase-invoices",
    |c| c.raw().list_purchase_invoices().send()
);
read_test!(
    get_purchase_invoice,
    GET,
    "/api/v3/purchase-invoices/7",
    |c| c.raw().get_purchase_invoice().purchase_invoice_id(7).send()
);
read_test!(
    list_purchase_invoice_items,
    GET,
    "/api/v3/purchase-invoices/7/items",
    |c| c
        .raw()
        .list_purchase_invoice_items()
        .purchase_invoice_id(7)
        .send()
);
read_test!(
    get_purchase_invoice_info,
    GET,
    "/api/v3/purchase-invoices/7/info",
    |c| c
        .raw()
        .get_purchase_invoice_info()
        .purchase_invoice_id(7)
        .send()
);
write_test!(
    prepare_purchase_invoice_items,
    PUT,
    "/api/v3/purchase-invoices/7/prepare-items",
    |c, body: PurchaseInvoicePrepareItems| c
        .raw()
        .prepare_purchase_invoice_items()
        .purchase_invoice_id(7)
        .body(body)
        .send()
);
write_test!(
    import_purchase_invoice,
    PUT,
    "/api/v3/purchase-invoices/7/import",
    |c| c
        .raw()
        .import_purchase_invoice()
        .purchase_invoice_id(7)
        .send()
);
read_test!(list_suppliers, GET, "/api/v3/suppliers", |c| c
    .raw()
    .list_suppliers()
    .send());
read_test!(
    list_production_orders,
    GET,
    "/api/v3/production-orders",
    |c| c.raw().list_production_orders().send()
);
write_test!(
    create_production_order,
    POST,
    "/api/v3/production-orders",
    |c, body: ProductionOrderWrite| c.raw().create_production_order().body(body).send()
);
write_test!(
    update_production_order,
    PUT,
    "/api/v3/production-orders/7",
    |c, body: ProductionOrderWrite| c
        .raw()
        .update_production_order()
        .production_order_id(7)
        .body(body)
        .send()
);
write_test!(
    cancel_production_order,
    POST,
    "/api/v3/production-orders/7/cancel",
    |c, body: ProductionOrderCancel| c
        .raw()
        .cancel_production_order()
        .production_order_id(7)
        .body(body)
        .send()
);
read_test!(list_companies, GET, "/api/v3/companies", |c| c
    .raw()
    .list_companies()
    .send());
read_test!(get_company, GET, "/api/v3/companies/7", |c| c
    .raw()
    .get_company()
    .company_id(7)
    .send());
write_test!(
    get_company_api_token,
    POST,
    "/api/v3/companies/7/get-api-token",
    |c, body: CompanyApiTokenRequest| c
        .raw()
        .get_company_api_token()
        .company_id(7)
        .body(body)
        .send()
);
read_test!(list_users, GET, "/api/v3/users", |c| c
    .raw()
    .list_users()
    .send());
read_test!(
    get_terminal_settings,
    GET,
    "/api/v3/settings/terminal",
    |c| c.raw().get_terminal_settings().send()
);
write_test!(
    update_terminal_settings,
    PATCH,
    "/api/v3/settings/terminal",
    |c, body: TerminalSettings| c.raw().update_terminal_settings().body(body).send()
);
read_test!(get_ipi_tax_settings, GET, "/api/v3/tax-settings/ipi", |c| c
    .raw()
    .get_ipi_tax_settings()
    .send());
read_test!(
    list_ipi_legal_classifications,
    GET,
    "/api/v3/tax-settings/ipi/legal-classifications",
    |c| c.raw().list_ipi_legal_classifications().send()
);
read_test!(list_peripherals, GET, "/api/v3/peripherals", |c| c
    .raw()
    .list_peripherals()
    .send());
write_test!(
    create_peripheral,
    POST,
    "/api/v3/peripherals",
    |c, body: PeripheralWrite| c.raw().create_peripheral().body(body).send()
);
read_test!(
    list_peripheral_manufacturers,
    GET,
    "/api/v3/peripherals/manufacturers",
    |c| c.raw().list_peripheral_manufacturers().send()
);
read_test!(get_peripheral, GET, "/api/v3/peripherals/7", |c| c
    .raw()
    .get_peripheral()
    .peripheral_id(7)
    .send());
write_test!(
    update_peripheral,
    PUT,
    "/api/v3/peripherals/7",
    |c, body: PeripheralWrite| c
        .raw()
        .update_peripheral()
        .peripheral_id(7)
        .body(body)
        .send()
);
write_test!(delete_peripheral, DELETE, "/api/v3/peripherals/7", |c| c
    .raw()
    .delete_peripheral()
    .peripheral_id(7)
    .send());
read_test!(
    list_peripheral_products,
    GET,
    "/api/v3/peripherals/7/products",
    |c| c.raw().list_peripheral_products().peripheral_id(7).send()
);
write_test!(
    create_cash_register,
    POST,
    "/api/v3/cash-registers",
    |c, body: CashRegisterCreate| c.raw().create_cash_register().body(body).send()
);
read_test!(
    get_statistics_aggregate,
    GET,
    "/api/v3/statistics/aggregate",
    |c| c
        .raw()
        .get_statistics_aggregate()
        .data_source("sale")
        .metric("total_amount")
        .begin_date("2025-01-01")
        .until_date("2025-01-31")
        .send()
);
