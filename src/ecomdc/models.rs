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
    /// Department trees.
    pub fn departments(&self) -> Departments {
        self.departamento.parse().unwrap_or_default()
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
    /// `opcoes` become `itens`, read-only fields (`url_produto`, `sku`) are left out. Change what
    /// you need and pass it to [`super::Client::update_product`].
    ///
    /// # Errors
    /// [`crate::ErrorKind::InvalidInput`] naming the field when a value read does not fit the
    /// write limits (e.g. a name over 100 characters) or an option has no stock value.
    pub fn to_update(&self) -> Result<types::ProductUpdate> {
        let modelos = self
            .modelos
            .iter()
            .enumerate()
            .map(|(i, m)| model_input(i, m))
            .collect::<Result<Vec<_>>>()?;
        Ok(types::ProductUpdate {
            nome: Some(fit("nome", &self.nome)?),
            descricao: Some(fit("descricao", &self.descricao)?),
            departamento: Some(fit("departamento", &self.departamento)?),
            fabricante: Some(fit("fabricante", &self.fabricante)?),
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

fn model_input(index: usize, m: &types::Model) -> Result<types::ModelInput> {
    let at = |field: &str| format!("modelos[{index}].{field}");
    let itens = m
        .options()
        .iter()
        .enumerate()
        .map(|(j, o)| {
            let estoque = o.estoque.value().ok_or_else(|| {
                invalid(
                    format!("modelos[{index}].itens[{j}].estoque"),
                    "the option has no stock value",
                )
            })?;
            Ok(types::OptionInput {
                nome_opcao: opt_fit(
                    &format!("modelos[{index}].itens[{j}].nome_opcao"),
                    o.nome_opcao.as_ref(),
                )?,
                referencia: Some(fit(
                    &format!("modelos[{index}].itens[{j}].referencia"),
                    &o.referencia,
                )?),
                estoque,
                ean: opt_fit(&format!("modelos[{index}].itens[{j}].ean"), o.ean.get())?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(types::ModelInput {
        nome: Some(fit(&at("nome"), &m.nome)?),
        crossdocking: m.crossdocking.value(),
        imagens: opt_fit(&at("imagens"), m.imagens.as_ref())?,
        imagens_retangulares: opt_fit(
            &at("imagens_retangulares"),
            m.imagens_retangulares.as_ref(),
        )?,
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
