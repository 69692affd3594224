//! ecomDC's string-encoded fields, parsed and formatted.
//!
//! ecomDC packs structured values into strings: department trees (`Esportes>Bicicletas;Caloi>Cross`),
//! attributes (`Marchas:21; Aro:22`), image URLs (`url1,url2`) and videos (`url1; url2`). These
//! types parse what reads return and format what writes send. A value that would change meaning
//! on the wire (a `;` inside a department name, a `,` inside a URL) is a [`WireError`]: when a
//! [`Departments`] is built, and when attributes and URL lists are formatted. The manual's rules
//! for XML sent with orders live here too ([`sanitize_xml`]).

use std::fmt;
use std::str::FromStr;

/// Why a value cannot be written in (or read from) ecomDC's string form.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// A department tree without levels.
    EmptyTree {
        /// Its position among the trees, counted from 1.
        tree: usize,
    },
    /// A department level that is blank or contains `;` or `>`.
    DepartmentLevel {
        /// The level (trimmed).
        level: String,
    },
    /// An attribute whose key is blank or contains `:` or `;`, or whose value contains `;`.
    Attribute {
        /// The key (trimmed).
        key: String,
        /// The value (trimmed).
        value: String,
    },
    /// An attribute read without its `:`.
    AttributeWithoutColon {
        /// The text between separators.
        part: String,
    },
    /// A URL that is blank or contains the list's separator.
    Url {
        /// The URL.
        url: String,
        /// The separator of the list (`,` for images, `;` for videos).
        separator: char,
    },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::EmptyTree { tree } => write!(f, "department tree {tree} has no levels"),
            WireError::DepartmentLevel { level } => write!(
                f,
                "department level {level:?} is empty or contains ';' or '>'"
            ),
            WireError::Attribute { key, value } => write!(
                f,
                "attribute {key:?}:{value:?} needs a key without ':' or ';' and a value without ';'"
            ),
            WireError::AttributeWithoutColon { part } => {
                write!(f, "attribute {part:?} has no ':'")
            }
            WireError::Url { url, separator } => {
                write!(f, "URL {url:?} is empty or contains {separator:?}")
            }
        }
    }
}

impl std::error::Error for WireError {}

/// Department trees: `;` between trees, `>` between levels.
///
/// Every value can be written: the constructors refuse a tree without levels and a level that is
/// blank or contains `;` or `>` (levels are trimmed), and reading the wire form skips blanks. So
/// `Display` (the wire form) never fails.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Departments(Vec<Vec<String>>);

impl Departments {
    /// Trees from their levels (`[["Esportes", "Bicicletas"], ["Caloi", "Cross"]]`).
    ///
    /// # Errors
    /// [`WireError`] naming the tree or level that cannot be written.
    pub fn new<I, T, S>(trees: I) -> Result<Self, WireError>
    where
        I: IntoIterator<Item = T>,
        T: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut checked = Vec::new();
        for (i, tree) in trees.into_iter().enumerate() {
            let levels = tree
                .into_iter()
                .map(|level| {
                    let level: String = level.into();
                    let trimmed = level.trim();
                    if trimmed.is_empty() || trimmed.contains([';', '>']) {
                        Err(WireError::DepartmentLevel {
                            level: trimmed.to_owned(),
                        })
                    } else {
                        Ok(trimmed.to_owned())
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            if levels.is_empty() {
                return Err(WireError::EmptyTree { tree: i + 1 });
            }
            checked.push(levels);
        }
        Ok(Self(checked))
    }
    /// One tree, from its levels (`["Esportes", "Bicicletas"]`).
    ///
    /// # Errors
    /// [`WireError`] naming the level that cannot be written.
    pub fn single<I, S>(levels: I) -> Result<Self, WireError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new([levels])
    }
    /// The trees.
    pub fn trees(&self) -> &[Vec<String>] {
        &self.0
    }
    /// The wire form (`Esportes>Bicicletas;Caloi>Cross`); the same as `to_string()`.
    pub fn to_wire(&self) -> String {
        self.to_string()
    }
}

impl FromStr for Departments {
    type Err = std::convert::Infallible;
    /// Reads the wire form; blank trees and levels are skipped.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(
            s.split(';')
                .map(|tree| {
                    tree.split('>')
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .filter(|t| !t.is_empty())
                .collect(),
        ))
    }
}

/// The wire form (`Esportes>Bicicletas;Caloi>Cross`).
impl fmt::Display for Departments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, tree) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            for (j, level) in tree.iter().enumerate() {
                if j > 0 {
                    f.write_str(">")?;
                }
                f.write_str(level)?;
            }
        }
        Ok(())
    }
}

/// Attributes as ordered `key:value` pairs, written `Key:Value; Key:Value`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes(pub Vec<(String, String)>);

impl Attributes {
    /// Adds a pair.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.push((key.into(), value.into()));
        self
    }
    /// The value of a key (first match, case-insensitive).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
    /// The wire form, or an error naming the pair that cannot be written.
    ///
    /// # Errors
    /// [`WireError::Attribute`] for a blank key, a key with `:` or `;`, or a value with `;`.
    pub fn to_wire(&self) -> Result<String, WireError> {
        let mut parts = Vec::with_capacity(self.0.len());
        for (k, v) in &self.0 {
            let (k, v) = (k.trim(), v.trim());
            if k.is_empty() || k.contains([':', ';']) || v.contains(';') {
                return Err(WireError::Attribute {
                    key: k.to_owned(),
                    value: v.to_owned(),
                });
            }
            parts.push(format!("{k}:{v}"));
        }
        Ok(parts.join("; "))
    }
}

impl FromStr for Attributes {
    type Err = WireError;
    /// Reads `Key:Value; Key:Value` (spaces around separators ignored; a value may contain `:`).
    fn from_str(s: &str) -> Result<Self, WireError> {
        let mut pairs = Vec::new();
        for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once(':')
                .ok_or_else(|| WireError::AttributeWithoutColon {
                    part: part.to_owned(),
                })?;
            pairs.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        Ok(Self(pairs))
    }
}

/// A list of URLs joined by a separator (`,` for images, `;` for videos).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlList(pub Vec<String>);

impl UrlList {
    /// Reads URLs separated by `sep` (blanks skipped).
    pub fn parse(s: &str, sep: char) -> Self {
        Self(
            s.split(sep)
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }
    /// Image URLs (`url1,url2`).
    pub fn images(s: &str) -> Self {
        Self::parse(s, ',')
    }
    /// Video links (`url1; url2`).
    pub fn videos(s: &str) -> Self {
        Self::parse(s, ';')
    }
    /// The wire form joined by `sep`, refusing URLs that contain the separator.
    ///
    /// # Errors
    /// [`WireError::Url`] for a blank URL or one that contains `sep`.
    pub fn to_wire(&self, sep: char) -> Result<String, WireError> {
        if let Some(bad) = self
            .0
            .iter()
            .find(|u| u.contains(sep) || u.trim().is_empty())
        {
            return Err(WireError::Url {
                url: bad.clone(),
                separator: sep,
            });
        }
        let joiner = if sep == ';' { "; " } else { "," };
        Ok(self
            .0
            .iter()
            .map(|u| u.trim())
            .collect::<Vec<_>>()
            .join(joiner))
    }
}

/// Applies the manual's rules for invoice XML sent with orders: no line breaks, `\/` written
/// as `/`, and double quotes replaced by single quotes.
pub fn sanitize_xml(xml: &str) -> String {
    xml.replace("\r\n", "")
        .replace(['\r', '\n'], "")
        .replace("\\/", "/")
        .replace('"', "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departments_round_trip() {
        let d: Departments = "Esportes>Bicicletas; ;Caloi> Cross".parse().unwrap();
        assert_eq!(
            d.trees(),
            [vec!["Esportes", "Bicicletas"], vec!["Caloi", "Cross"]]
        );
        assert_eq!(d.to_wire(), "Esportes>Bicicletas;Caloi>Cross");
        assert_eq!(d.to_string(), d.to_wire());
        let built = Departments::new([vec!["Esportes", " Bicicletas "], vec!["Caloi", "Cross"]]);
        assert_eq!(built, Ok(d));
        assert_eq!(Departments::default().to_string(), "");
    }

    #[test]
    fn departments_that_cannot_be_written_cannot_be_built() {
        assert_eq!(
            Departments::single(["A;B"]),
            Err(WireError::DepartmentLevel {
                level: "A;B".into()
            })
        );
        assert!(Departments::single(["A", "B>C"]).is_err());
        assert!(Departments::single([" "]).is_err());
        assert_eq!(
            Departments::new([vec!["A"], vec![]]),
            Err(WireError::EmptyTree { tree: 2 })
        );
        assert_eq!(
            Departments::single(["A;B"]).unwrap_err().to_string(),
            "department level \"A;B\" is empty or contains ';' or '>'"
        );
    }

    #[test]
    fn attributes_round_trip_and_tolerate_spaces() {
        let a: Attributes = "Marchas:21; Aro:22; Freios: V-BREAK".parse().unwrap();
        assert_eq!(a.get("freios"), Some("V-BREAK"));
        assert_eq!(a.to_wire().unwrap(), "Marchas:21; Aro:22; Freios:V-BREAK");
        assert_eq!(a.to_wire().unwrap().parse::<Attributes>().unwrap(), a);
        assert_eq!(
            "semdoispontos".parse::<Attributes>(),
            Err(WireError::AttributeWithoutColon {
                part: "semdoispontos".into()
            })
        );
        let bad = Attributes::default().with("Aro", "22; 24").to_wire();
        assert_eq!(
            bad.unwrap_err().to_string(),
            "attribute \"Aro\":\"22; 24\" needs a key without ':' or ';' and a value without ';'"
        );
    }

    #[test]
    fn url_lists_refuse_their_separator() {
        let images = UrlList::images("https://x/1.jpg, https://x/2.jpg");
        assert_eq!(
            images.to_wire(',').unwrap(),
            "https://x/1.jpg,https://x/2.jpg"
        );
        assert_eq!(
            UrlList(vec!["https://x/a,b.jpg".into()]).to_wire(','),
            Err(WireError::Url {
                url: "https://x/a,b.jpg".into(),
                separator: ','
            })
        );
    }

    #[test]
    fn xml_rules() {
        assert_eq!(
            sanitize_xml("<a x=\"1\">\r\n<b>http:\\/\\/x</b>\n</a>"),
            "<a x='1'><b>http://x</b></a>"
        );
    }
}
