//! Lists: `{data: {<items key>: [...]}, meta: {current_page, last_page, per_page, total}}`.
//!
//! Every list response of the spec implements [`Listing`], so one [`Page`] type and one stream
//! ([`crate::connectplug::Client::all`]) serve all of them. The items key differs per resource
//! (`products`, `purchase-invoices`, ...); the table below is the one place that knows it.

use super::types;

/// A list response: its items and its paging.
pub trait Listing {
    /// The listed type.
    type Item;
    /// Items and paging of this page.
    fn into_page(self) -> Page<Self::Item>;
}

/// One page of a list, unwrapped.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// This page (from 1), when the list is paged.
    pub current_page: Option<i64>,
    /// The last page, when the list is paged.
    pub last_page: Option<i64>,
    /// Items per page, when the list is paged.
    pub per_page: Option<i64>,
    /// Items in all pages, when the list is paged.
    pub total: Option<i64>,
}

impl<T> Page<T> {
    /// The number of the next page, or `None` on the last page (or an unpaged list).
    pub fn next_page(&self) -> Option<i64> {
        match (self.current_page, self.last_page) {
            (Some(current), Some(last)) if current < last => Some(current + 1),
            _ => None,
        }
    }
}

fn page<T>(items: Vec<T>, meta: Option<types::PaginationMeta>) -> Page<T> {
    Page {
        items,
        current_page: meta.as_ref().map(|m| m.current_page),
        last_page: meta.as_ref().map(|m| m.last_page),
        per_page: meta.as_ref().map(|m| m.per_page),
        total: meta.as_ref().map(|m| m.total),
    }
}

macro_rules! listings {
    ($($list:ident => $key:ident: $item:ident;)*) => {
        $(impl Listing for types::$list {
            type Item = types::$item;
            fn into_page(self) -> Page<types::$item> {
                page(self.data.$key, self.meta)
            }
        })*
    };
}

listings! {
    ProductList => products: Product;
    ProductAppList => product_apps: ProductApp;
    CategoryList => categories: Category;
    UnitList => units: Unit;
    AttributeList => attributes: Attribute;
    PriceListList => price_lists: PriceList;
    PriceListItemList => items: PriceListItem;
    PriceListProductGridList => grids: PriceListProductGrid;
    BulkList => bulks: Bulk;
    BulkItemList => items: BulkItem;
    AppList => apps: App;
    AppItemList => items: AppItem;
    SaleOrderList => sale_orders: SaleOrder;
    SaleList => sales: Sale;
    SaleIncomeList => sale_incomes: SaleIncome;
    StatusList => status: MainStatus;
    PromotionList => promotions: Promotion;
    PromotionVoucherList => vouchers: PromotionVoucher;
    CommandSeriesList => command_series: CommandSeries;
    CustomerList => customers: Customer;
    CustomerDocumentList => documents: Document;
    CustomerCategoryList => customer_categories: CustomerCategory;
    PaymentMethodList => payments: PaymentMethod;
    BankAccountList => bank_accounts: BankAccount;
    BankAccountHistoryList => bank_account_transactions: BankAccountHistoryEntry;
    FinancialTransactionList => financial_transactions: FinancialTransaction;
    AccountPlanList => account_plans: AccountPlan;
    CardContractList => card_contracts: CardContract;
    StockList => stocks: Stock;
    StockProductList => stock_products: StockProduct;
    StockMovementList => movements: StockMovement;
    StockInventoryList => inventories: StockInventory;
    StockInventoryItemList => inventory_items: StockInventoryItem;
    StockTransferList => transfers: StockTransfer;
    PurchaseList => purchases: Purchase;
    PurchaseItemList => items: PurchaseItem;
    PurchaseInvoiceList => purchase_invoices: PurchaseInvoice;
    PurchaseInvoiceItemList => items: PurchaseInvoiceItem;
    SupplierList => suppliers: Supplier;
    ProductionOrderList => production_orders: ProductionOrder;
    CompanyList => companies: CompanySummary;
    UserList => users: User;
    IpiLegalClassificationList => ipi_legal_classifications: IpiLegalClassification;
    PeripheralList => peripherals: Peripheral;
    PeripheralManufacturerList => manufacturers: PeripheralManufacturer;
    PeripheralProductList => products: PeripheralProduct;
}
