//! Lists: `{data: {<items key>: [...]}, meta: {current_page, last_page, per_page, total}}`.
//!
//! Every list response of the spec implements [`Listing`], so one [`Page`] type and one stream
//! ([`crate::connectplug::Client::all`]) serve all of them, and a record that does not decode
//! costs that record only ([`Page::rejected`]). The items key differs per resource
//! (`products`, `purchase-invoices`, ...); the table below is the one place that knows it.

use super::types;
use crate::common::error::Error;
use crate::common::paginate::{Cursor, Page};

/// A list response: its items and its paging.
pub trait Listing {
    /// The listed type.
    type Item: serde::de::DeserializeOwned;
    /// Where the records are in the answer (a JSON pointer, `/data/<key>`).
    const ITEMS: &'static str;
    /// Items and paging of this page, and the records it rejected.
    fn into_page(self, rejected: Vec<Error>) -> Page<Self::Item>;
}

/// A page with the paging of `meta`: the next page while `current_page < last_page`.
fn page<T>(items: Vec<T>, meta: Option<types::PaginationMeta>, rejected: Vec<Error>) -> Page<T> {
    let count = |v: i64| u64::try_from(v).ok();
    let next = meta
        .as_ref()
        .filter(|m| m.current_page < m.last_page)
        .and_then(|m| count(m.current_page + 1))
        .map(Cursor::Number);
    Page::new(items, next)
        .with_totals(
            meta.as_ref().and_then(|m| count(m.total)),
            meta.as_ref().and_then(|m| count(m.last_page)),
        )
        .with_rejected(rejected)
}

macro_rules! listings {
    ($($list:ident => $key:ident $(as $json:literal)?: $item:ident;)*) => {
        $(impl Listing for types::$list {
            type Item = types::$item;
            const ITEMS: &'static str = listings!(@pointer $key $($json)?);
            fn into_page(self, rejected: Vec<Error>) -> Page<types::$item> {
                page(self.data.$key, self.meta, rejected)
            }
        })*
    };
    (@pointer $key:ident $json:literal) => { concat!("/data/", $json) };
    (@pointer $key:ident) => { concat!("/data/", stringify!($key)) };
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
    PurchaseInvoiceList => purchase_invoices as "purchase-invoices": PurchaseInvoice;
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
