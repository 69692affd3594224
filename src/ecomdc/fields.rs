//! ecomDC's string-encoded fields, parsed and formatted.
//!
//! ecomDC packs structured values into strings: department trees (`Esportes>Bicicletas;Caloi>Cross`),
//! attributes (`Marchas:21; Aro:22`), image URLs (`url1,url2`) and videos (`url1; url2`). These
//! types parse what reads return and format what writes send; formatting refuses values that
//! would change meaning (a `;` inside a department name, a `,` inside a URL). The manual's rules
//! for XML sent with orders live here too ([`sanitize_xml`]).

use std::fmt;
use std::str::FromStr;

/// Department trees: `;` between trees, `>` between levels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Departments(pub Vec<Vec<String>>);

impl Departments {
    /// One tree, from its levels (`["Esportes", "Bicicletas"]`).
    pub fn single<I, S>(levels: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self(vec![levels.into_iter().map(Into::into).collect()])
    }
    /// The trees.
    pub fn trees(&self) -> &[Vec<String>] {
        &self.0
    }
    /// The wire form, or an error naming the level that cannot be written.
    pub fn to_wire(&self) -> Result<String, String> {
        let mut out = String::new();
        for (i, tree) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(';');
            }
            if tree.is_empty() {
                return Err(format!("department tree {} has no levels", i + 1));
            }
            for (j, level) in tree.iter().enumerate() {
                let level = level.trim();
                if level.is_empty() || level.contains([';', '>']) {
                    return Err(format!(
                        "department level {level:?} is empty or contains ';' or '>'"
                    ));
                }
                if j > 0 {
                    out.push('>');
                }
                out.push_str(level);
            }
        }
        Ok(out)
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
    pub fn to_wire(&self) -> Result<String, String> {
        let mut parts = Vec::with_capacity(self.0.len());
        for (k, v) in &self.0 {
            let (k, v) = (k.trim(), v.trim());
            if k.is_empty() || k.contains([':', ';']) || v.contains(';') {
                return Err(format!(
                    "attribute {k:?}:{v:?} needs a key without ':' or ';' and a value without ';'"
                ));
            }
            parts.push(format!("{k}:{v}"));
        }
        Ok(parts.join("; "))
    }
}

impl FromStr for Attributes {
    type Err = String;
    /// Reads `Key:Value; Key:Value` (spaces around separators ignored; a value may contain `:`).
    fn from_str(s: &str) -> Result<Self, String> {
        let mut pairs = Vec::new();
        for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once(':')
                .ok_or_else(|| format!("attribute {part:?} has no ':'"))?;
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
    pub fn to_wire(&self, sep: char) -> Result<String, String> {
        if let Some(bad) = self
            .0
            .iter()
            .find(|u| u.contains(sep) || u.trim().is_empty())
        {
            return Err(format!("URL {bad:?} is empty or contains {sep:?}"));
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

impl fmt::Display for Departments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire().map_err(|_| fmt::Error)?)
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
        let d: Departments = "Esportes>Bicicletas;Caloi>Cross".parse().unwrap();
        assert_eq!(
            d.0,
            vec![vec!["Esportes", "Bicicletas"], vec!["Caloi", "Cross"]]
        );
        assert_eq!(d.to_wire().unwrap(), "Esportes>Bicicletas;Caloi>Cross");
        assert!(Departments::single(["A;B"]).to_wire().is_err());
    }

    #[test]
    fn attributes_round_trip_and_tolerate_spaces() {
        let a: Attributes = "Marchas:21; Aro:22; Freios: V-BREAK".parse().unwrap();
        assert_eq!(a.get("freios"), Some("V-BREAK"));
        assert_eq!(a.to_wire().unwrap(), "Marchas:21; Aro:22; Freios:V-BREAK");
        assert_eq!(a.to_wire().unwrap().parse::<Attributes>().unwrap(), a);
        assert!("semdoispontos".parse::<Attributes>().is_err());
    }

    #[test]
    fn xml_rules() {
        assert_eq!(
            sanitize_xml("<a x=\"1\">\r\n<b>http:\\/\\/x</b>\n</a>"),
            "<a x='1'><b>http://x</b></a>"
        );
    }
}
