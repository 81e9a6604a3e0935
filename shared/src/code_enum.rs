//! [`code_enum!`](crate::code_enum!): an enum whose every variant has one fixed
//! code string, declared once.
//!
//! Codes are published: in replies, in the OpenAPI document, in metric labels
//! and log lines. A list of them kept beside the enum by hand drifts from it,
//! so the macro derives from the one declaration both the code of each
//! variant ([`as_str`](crate::reject_code::RejectCode::as_str)) and the list of
//! all variants (`ALL`, in declaration order) that documents and metrics
//! iterate. A variant's [`index`](crate::reject_code::RejectCode::index) is its
//! position in `ALL`, so per-code counters are an array, not a search.

/// Declares a field-less enum with a code per variant:
///
/// ```
/// shared::code_enum! {
///     /// Why something was refused.
///     pub enum Reason {
///         /// Too big.
///         TooLarge => "too_large",
///         Late => "late",
///     }
/// }
/// assert_eq!(Reason::ALL, [Reason::TooLarge, Reason::Late]);
/// assert_eq!(Reason::Late.as_str(), "late");
/// assert_eq!(Reason::Late.index(), 1);
/// assert_eq!(Reason::TooLarge.to_string(), "too_large");
/// ```
#[macro_export]
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident => $code:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: [Self; [$($code),+].len()] = [$(Self::$variant),+];

            /// The published code.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            /// The position of this variant in [`Self::ALL`].
            pub const fn index(self) -> usize {
                // Variants have no explicit discriminants, so each one's is
                // its position in the declaration, which `ALL` follows.
                self as usize
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
