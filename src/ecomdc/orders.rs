//! The order workflow: novo → pago → separacao → entrega → concluido, and cancelado from any
//! phase. A change the workflow does not allow is refused before any request is sent.

use super::fields::sanitize_xml;
use super::operations as ops;
use super::types::{self, OrderPhase};
use crate::common::error::{Error, Provider, Result};
use crate::common::ops::Operation;

/// A phase change and the data it carries.
#[derive(Debug, Clone, PartialEq)]
pub enum PhaseChange {
    /// novo → pago, with payment data (and optionally the invoice XML).
    Pay(types::PaidPhase),
    /// pago → separacao, with whatever invoice data is known (every field optional: a store
    /// may pick before it invoices, and send the invoice later with `set_order_invoice`).
    Pick(types::PickingData),
    /// separacao → entrega, with the tracking code.
    Ship(types::ShippedPhase),
    /// entrega → concluido.
    Complete,
    /// Any phase → cancelado, with an optional reason.
    Cancel(types::CancelPhase),
}

impl PhaseChange {
    /// Ship with this tracking code.
    pub fn ship(tracking_code: impl Into<String>) -> Self {
        Self::Ship(types::ShippedPhase {
            codigo_rastreamento: tracking_code.into(),
        })
    }
    /// Cancel with this reason.
    pub fn cancel(reason: impl Into<String>) -> Self {
        Self::Cancel(types::CancelPhase {
            motivo: Some(reason.into()),
        })
    }

    /// The phase the order is in after the change.
    pub fn target(&self) -> OrderPhase {
        match self {
            Self::Pay(_) => OrderPhase::Pago,
            Self::Pick(_) => OrderPhase::Separacao,
            Self::Ship(_) => OrderPhase::Entrega,
            Self::Complete => OrderPhase::Concluido,
            Self::Cancel(_) => OrderPhase::Cancelado,
        }
    }

    /// The operation that sends this change.
    pub fn operation(&self) -> &'static Operation {
        match self {
            Self::Pay(_) => &ops::MARK_ORDER_PAID,
            Self::Pick(_) => &ops::MARK_ORDER_PICKING,
            Self::Ship(_) => &ops::MARK_ORDER_SHIPPED,
            Self::Complete => &ops::MARK_ORDER_COMPLETED,
            Self::Cancel(_) => &ops::CANCEL_ORDER,
        }
    }

    /// Checks the change against the order's current phase (as the provider writes it).
    pub(crate) fn check_from(&self, current: &str) -> Result<()> {
        let op = self.operation().id;
        let from: OrderPhase = current.trim().parse().map_err(|_| {
            Error::invalid_input(
                Provider::Ecomdc,
                op,
                "fase_atual",
                format!("unknown phase {current:?}; use force_order_phase if the change is right"),
            )
        })?;
        if allowed(from, self.target()) {
            Ok(())
        } else {
            Err(Error::invalid_input(
                Provider::Ecomdc,
                op,
                "fase_atual",
                format!(
                    "an order in phase {from} cannot move to {}; phases go novo → pago → separacao → entrega → concluido, and cancelado from any phase",
                    self.target()
                ),
            ))
        }
    }

    /// Applies the manual's XML rules to the data carried.
    pub(crate) fn sanitized(self) -> Self {
        match self {
            Self::Pay(mut p) => {
                p.xml = p.xml.map(|x| sanitize_xml(&x));
                Self::Pay(p)
            }
            Self::Pick(mut i) => {
                i.xml = i.xml.map(|x| sanitize_xml(&x));
                Self::Pick(i)
            }
            other => other,
        }
    }
}

/// Whether an order may move from `from` to `to`.
pub fn allowed(from: OrderPhase, to: OrderPhase) -> bool {
    use OrderPhase::*;
    matches!(
        (from, to),
        (Novo, Pago) | (Pago, Separacao) | (Separacao, Entrega) | (Entrega, Concluido)
    ) || (to == Cancelado && from != Cancelado)
}

pub(crate) fn sanitize_invoice(mut invoice: types::InvoiceData) -> types::InvoiceData {
    invoice.xml = invoice.xml.map(|x| sanitize_xml(&x));
    invoice
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderPhase::*;

    #[test]
    fn workflow_moves_forward_one_step_and_cancels_from_anywhere() {
        let all = [Novo, Pago, Separacao, Entrega, Concluido, Cancelado];
        for from in all {
            for to in all {
                let expected = matches!(
                    (from, to),
                    (Novo, Pago) | (Pago, Separacao) | (Separacao, Entrega) | (Entrega, Concluido)
                ) || (to == Cancelado && from != Cancelado);
                assert_eq!(allowed(from, to), expected, "{from} -> {to}");
            }
        }
    }
}
