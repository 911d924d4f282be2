//! Wire-name helpers shared by every enum of the crate.

/// Implements `FromStr` for a `snake_case` enum from its strum names, with a
/// [`CoreError::InvalidName`](crate::CoreError::InvalidName) that lists the
/// accepted names (strum's own error type stays out of our public API), and
/// its [`Label`](crate::Label) from the same names.
macro_rules! impl_from_str {
    ($($ty:ty => $field:expr),+ $(,)?) => {$(
        impl std::str::FromStr for $ty {
            type Err = $crate::CoreError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                use strum::IntoEnumIterator;
                let s = $crate::wire::canonical(s);
                Self::iter().find(|v| <&'static str>::from(*v) == s).ok_or_else(|| {
                    $crate::CoreError::InvalidName {
                        field: $field,
                        value: s.to_owned(),
                        expected: Self::iter().map(<&'static str>::from).collect::<Vec<_>>().join(", "),
                    }
                })
            }
        }

        impl $crate::Label for $ty {
            fn label(&self) -> String {
                $crate::label::from_wire(<&'static str>::from(*self))
            }
        }
    )+};
}
pub(crate) use impl_from_str;

/// The one spelling of a wire name that has two: the British `cancelled` is
/// read as `canceled`, the spelling of every state, category and decision.
pub(crate) fn canonical(name: &str) -> &str {
    if name == "cancelled" {
        "canceled"
    } else {
        name
    }
}
