use wasm_bindgen::prelude::*;

/// A newtype that represents Serde errors as JavaScript exceptions.
#[derive(Debug)]
pub struct Error(JsValue);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        #[wasm_bindgen]
        extern "C" {
            #[wasm_bindgen(js_name = String)]
            pub fn to_string(value: &JsValue) -> String;
        }

        to_string(&self.0).fmt(f)
    }
}

impl std::error::Error for Error {}

impl Error {
    /// Creates a JavaScript `Error` with a given message.
    // oauth-spa-session patch: one fixed message, the given one not formatted. Nothing in oauth-spa-session shows
    // these messages (each reader names the field itself or drops the error), and formatting them linked
    // `alloc::fmt::format` and every `Display` of serde's `Expected` into the wasm.
    pub fn new<T: std::fmt::Display>(_msg: T) -> Self {
        Error(JsError::new("serde-wasm-bindgen: the value does not fit the type read").into())
    }
}

impl serde::ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::new(msg)
    }
}

impl serde::de::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::new(msg)
    }

    // oauth-spa-session patch: serde's default `invalid_type`/`invalid_value` print the `Unexpected` value,
    // and any JS number is `Unexpected::Float`, which links Rust's float formatting (~18 KB of wasm). Name the
    // kind of value only (no value, no number printed).
    fn invalid_type(unexp: serde::de::Unexpected, exp: &dyn serde::de::Expected) -> Self {
        Error::new(format_args!("invalid type: {}, expected {}", kind(&unexp), exp))
    }

    fn invalid_value(unexp: serde::de::Unexpected, exp: &dyn serde::de::Expected) -> Self {
        Error::new(format_args!("invalid value: {}, expected {}", kind(&unexp), exp))
    }

    fn invalid_length(_len: usize, exp: &dyn serde::de::Expected) -> Self {
        Error::new(format_args!("invalid length, expected {}", exp))
    }
}

// oauth-spa-session patch: what `Unexpected` would print, without the value.
fn kind(unexp: &serde::de::Unexpected) -> &'static str {
    use serde::de::Unexpected::*;
    match unexp {
        Bool(_) => "boolean",
        Unsigned(_) | Signed(_) | Float(_) => "number",
        Char(_) => "char",
        Str(_) => "string",
        Bytes(_) => "bytes",
        Unit => "null",
        Option => "option",
        NewtypeStruct => "newtype struct",
        Seq => "sequence",
        Map => "map",
        Enum => "enum",
        UnitVariant => "unit variant",
        NewtypeVariant => "newtype variant",
        TupleVariant => "tuple variant",
        StructVariant => "struct variant",
        // A `Debug` of the JS value (an object, a function, a symbol...).
        Other(_) => "other value",
    }
}

/// This conversion is needed for `?` to just work when using wasm-bindgen
/// imports that return JavaScript exceptions as `Result<T, JsValue>`.
impl From<JsValue> for Error {
    fn from(error: JsValue) -> Error {
        Error(error)
    }
}

// This conversion is needed for `?` to just work in wasm-bindgen exports
// that return `Result<T, JsValue>` to throw JavaScript exceptions.
impl From<Error> for JsValue {
    fn from(error: Error) -> JsValue {
        error.0
    }
}
