//! Conveniences on the generated models: options whichever key they arrive under, structured
//! views of the string-encoded fields, and the read → write conversion.

use super::fields::{Attributes, Departments, UrlList, WireError};
use super::types;
use crate::common::error::{Error, Provider, Result};
use crate::common::lenient::{DecimalNumber, LooseDecimal};

impl types::Model {
    /// The model's options, whether the provider sent them as `itens` or `opcoes`.
    pub fn options(&self) -> &[types::ProductOption] {
        if self.itens.is_empty() {
            &self.opcoes
        } else {
            &self.itens
        }
    }
    /// Square image URLs.
    pub fn image_urls(&self) -> UrlList {
        UrlList::images(self.imagens.as_deref().unwrap_or_default())
    }
    /// Rectangular image URLs.
    pub fn rectangular_image_urls(&self) -> UrlList {
        UrlList::images(self.imagens_retangulares.as_deref().unwrap_or_default())
    }
    /// Model attributes.
    ///
    /// # Errors
    /// [`WireError::AttributeWithoutColon`] when an attribute has no `:`.
    pub fn attributes(&self) -> std::result::Result<Attributes, WireError> {
        self.atributos_modelo.as_deref().unwrap_or_default().parse()
    }
}

impl types::Product {
    /// The wholesale campaigns (`precos_atacado`, asked for with
    /// [`super::Client::product_with_wholesale_prices`] or
    /// [`super::ProductFilter::wholesale_prices`]) as the provider sent them; `None` when it sent
    /// none or one of PHP's empty values (`false`, `""`, `[]`, `{}`). Their shape is not
    /// documented.
    pub fn wholesale_campaigns(&self) -> Option<&serde_json::Value> {
        self.precos_atacado.as_ref().filter(|v| !php_empty(v))
    }
    /// Department trees.
    pub fn departments(&self) -> Departments {
        self.departamento
            .get()
            .and_then(|d| d.parse().ok())
            .unwrap_or_default()
    }
    /// Product attributes.
    ///
    /// # Errors
    /// [`WireError::AttributeWithoutColon`] when an attribute has no `:`.
    pub fn attributes(&self) -> std::result::Result<Attributes, WireError> {
        self.atributos_produto
            .as_deref()
            .unwrap_or_default()
            .parse()
    }
    /// Video links.
    pub fn videos(&self) -> UrlList {
        UrlList::videos(self.videos.as_deref().unwrap_or_default())
    }

    /// The update that would write this product back as it is: numbers become JSON numbers,
    /// `opcoes` become `itens`, read-only fields (`url_produto`, `sku`) and blank ones are left
    /// out. Change what you need and pass it to [`super::Client::update_product`].
    ///
    /// The images (`imagens`, `imagens_retangulares`) are left out too: images sent replace the
    /// current ones (M421) and the provider imports each URL again, taking up to 5 s apiece
    /// (M83), so writing back the URLs it already has would re-import every image. Set them on
    /// a model of the update to replace its images.
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] naming the field when a value read does not fit the
    /// write limits (e.g. a name over 100 characters), an option has no stock value, or an
    /// option has no `referencia` (the update identifies options by it, and creates the ones
    /// it does not find, M420-425: leave `modelos` out to change only the product's own fields).
    pub fn to_update(&self) -> Result<types::ProductUpdate> {
        let modelos = self
            .modelos
            .iter()
            .enumerate()
            .map(|(i, m)| model_input(i, m))
            .collect::<Result<Vec<_>>>()?;
        Ok(types::ProductUpdate {
            nome: Some(fit("nome", &self.nome)?),
            descricao: opt_fit("descricao", self.descricao.get())?,
            departamento: opt_fit("departamento", self.departamento.get())?,
            fabricante: opt_fit("fabricante", self.fabricante.get())?,
            preco: number(&self.preco),
            custo: number(&self.custo),
            comprimento: number(&self.comprimento),
            largura: number(&self.largura),
            altura: number(&self.altura),
            peso: number(&self.peso),
            cubagem: number(&self.cubagem),
            garantia: opt_fit("garantia", self.garantia.get())?,
            atributos_produto: opt_fit("atributos_produto", self.atributos_produto.as_ref())?,
            videos: opt_fit("videos", self.videos.as_ref())?,
            localizacao_estoque: opt_fit("localizacao_estoque", self.localizacao_estoque.as_ref())?,
            formato_visualizacao_modelos: opt_fit(
                "formato_visualizacao_modelos",
                self.formato_visualizacao_modelos.get(),
            )?,
            status: None,
            modelos,
        })
    }
}

impl types::Order {
    /// The fiscal data of a Mercado Livre order (`buyer_fiscal`) as a JSON object, whether the
    /// provider sent it as an object or as JSON text; `None` when it sent none, one of PHP's
    /// empty values, or something that is not an object (which stays in `buyer_fiscal`).
    pub fn fiscal_data(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        let object = match self.buyer_fiscal.as_ref()? {
            serde_json::Value::String(text) => serde_json::from_str(text).ok()?,
            other => other.clone(),
        };
        match object {
            serde_json::Value::Object(map) if !map.is_empty() => Some(map),
            _ => None,
        }
    }
}

/// PHP's ways of saying "nothing": `null`, `false`, `""`, `[]` and `{}`.
fn php_empty(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null | serde_json::Value::Bool(false) => true,
        serde_json::Value::String(s) => s.trim().is_empty(),
        serde_json::Value::Array(a) => a.is_empty(),
        serde_json::Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

fn model_input(index: usize, m: &types::Model) -> Result<types::ModelInput> {
    let at = |field: &str| format!("modelos[{index}].{field}");
    let itens = m
        .options()
        .iter()
        .enumerate()
        .map(|(j, o)| {
            let at = |field: &str| format!("modelos[{index}].itens[{j}].{field}");
            let estoque = o
                .estoque
                .value()
                .ok_or_else(|| invalid(at("estoque"), "the option has no stock value"))?;
            let referencia = o.referencia.get().ok_or_else(|| {
                invalid(
                    at("referencia"),
                    "the option has no reference, which identifies it in an update (one sent \
                     without it would be created as a new option)",
                )
            })?;
            Ok(types::OptionInput {
                nome_opcao: opt_fit(&at("nome_opcao"), o.nome_opcao.as_ref())?,
                referencia: Some(fit(&at("referencia"), referencia)?),
                estoque,
                ean: opt_fit(&at("ean"), o.ean.get())?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(types::ModelInput {
        // A product without variations has one unnamed model (M351): no name to send.
        nome: opt_fit(&at("nome"), m.nome.get())?,
        crossdocking: m.crossdocking.value(),
        // Left out: see `Product::to_update`.
        imagens: None,
        imagens_retangulares: None,
        status: m.status.value(),
        formato_visualizacao_opcoes: opt_fit(
            &at("formato_visualizacao_opcoes"),
            m.formato_visualizacao_opcoes.get(),
        )?,
        atributos_modelo: opt_fit(&at("atributos_modelo"), m.atributos_modelo.as_ref())?,
        itens,
    })
}

fn number(v: &LooseDecimal) -> Option<DecimalNumber> {
    v.value().map(DecimalNumber)
}

/// Converts text into a length-checked write field, naming the field on failure.
fn fit<T>(field: &str, value: &str) -> Result<T>
where
    T: TryFrom<String>,
    T::Error: std::fmt::Display,
{
    T::try_from(value.to_owned()).map_err(|e| invalid(field.to_owned(), e.to_string()))
}

fn opt_fit<T>(field: &str, value: Option<&String>) -> Result<Option<T>>
where
    T: TryFrom<String>,
    T::Error: std::fmt::Display,
{
    value
        .filter(|v| !v.is_empty())
        .map(|v| fit(field, v))
        .transpose()
}

fn invalid(field: String, message: impl Into<String>) -> Error {
    Error::invalid_input(Provider::Ecomdc, "update_product", field, message)
}
