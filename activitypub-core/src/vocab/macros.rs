//! The macros that generate the lossless, single-pass (de)serializers of the vocabulary.

/// What happened to a key offered to a struct's known fields.
pub(crate) enum Taken {
    /// The key is one of the struct's fields; the value was read.
    Known,
    /// The key is not one of the struct's fields; the value was not read.
    Unknown,
}

/// A struct with typed, optional fields and an `extra` map for everything else.
macro_rules! record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $key:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: Option<$ty>, )*
            /// Every other property, exactly as received (also values of known properties
            /// that had a shape the typed field does not accept, and `null`s).
            pub extra: ::serde_json::Map<String, ::serde_json::Value>,
        }

        impl $name {
            /// Offers one key to the typed fields; values of another shape go to `extra`.
            #[allow(dead_code)]
            pub(crate) fn take_known<'de, A: ::serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<$crate::vocab::macros::Taken, A::Error> {
                match key {
                    $( $key => {
                        match map.next_value::<$crate::lenient::Parsed<$ty>>()? {
                            $crate::lenient::Parsed::Typed(v) => {
                                // A repeated key: the last occurrence wins, as in every
                                // JSON reader that keeps one value per key.
                                if !self.extra.is_empty() {
                                    self.extra.remove(key);
                                }
                                self.$field = Some(v);
                            }
                            $crate::lenient::Parsed::Other(v) => {
                                self.$field = None;
                                self.extra.insert(key.to_owned(), v);
                            }
                        }
                    } )*
                    _ => return Ok($crate::vocab::macros::Taken::Unknown),
                }
                Ok($crate::vocab::macros::Taken::Known)
            }

            /// Reads one key: a typed field, or an entry of `extra`.
            pub(crate) fn take_any<'de, A: ::serde::de::MapAccess<'de>>(
                &mut self,
                key: $crate::lenient::Key<'de>,
                map: &mut A,
            ) -> Result<(), A::Error> {
                if let $crate::vocab::macros::Taken::Unknown = self.take_known(key.as_str(), map)? {
                    let v = map.next_value::<::serde_json::Value>()?;
                    self.extra.insert(key.into_string(), v);
                }
                Ok(())
            }

            /// Reads a whole JSON object.
            pub(crate) fn visit<'de, A: ::serde::de::MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
                let mut out = Self::default();
                while let Some(key) = map.next_key::<$crate::lenient::Key<'de>>()? {
                    out.take_any(key, &mut map)?;
                }
                Ok(out)
            }

            /// Writes the typed fields (not `extra`).
            #[allow(dead_code)]
            pub(crate) fn serialize_known<M: ::serde::ser::SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
                $( if let Some(v) = &self.$field { m.serialize_entry($key, v)?; } )*
                Ok(())
            }

            /// Whether no typed field is set and `extra` is empty.
            pub fn is_empty(&self) -> bool {
                true $( && self.$field.is_none() )* && self.extra.is_empty()
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                self.serialize_known(&mut m)?;
                for (k, v) in &self.extra {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }

        impl $crate::lenient::Tolerant for $name {
            fn from_map<'de, A: ::serde::de::MapAccess<'de>>(map: A) -> Result<$crate::lenient::Parsed<Self>, A::Error> {
                Self::visit(map).map($crate::lenient::Parsed::Typed)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::lenient::strict(d)
            }
        }
    };
}
pub(crate) use record;

/// A struct that extends [`Object`](crate::vocab::Object) with more typed fields; unknown
/// properties live in the embedded object's `extra`. `$fields` names a crate-private struct
/// holding only the added fields, which [`AnyObject`](crate::vocab::AnyObject) fills while it
/// does not yet know the family.
macro_rules! extend_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident / $fields:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $key:literal ),* $(,)?
        }
    ) => {
        #[derive(Debug, Default)]
        pub(crate) struct $fields {
            $( $field: Option<$ty>, )*
        }

        impl $fields {
            /// Offers one key to the added fields; values of another shape go to `extra`.
            pub(crate) fn take_known<'de, A: ::serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
                extra: &mut ::serde_json::Map<String, ::serde_json::Value>,
            ) -> Result<$crate::vocab::macros::Taken, A::Error> {
                match key {
                    $( $key => {
                        match map.next_value::<$crate::lenient::Parsed<$ty>>()? {
                            $crate::lenient::Parsed::Typed(v) => {
                                if !extra.is_empty() {
                                    extra.remove(key);
                                }
                                self.$field = Some(v);
                            }
                            $crate::lenient::Parsed::Other(v) => {
                                self.$field = None;
                                extra.insert(key.to_owned(), v);
                            }
                        }
                    } )*
                    _ => return Ok($crate::vocab::macros::Taken::Unknown),
                }
                Ok($crate::vocab::macros::Taken::Known)
            }

            /// Moves the added fields into `extra` (as JSON).
            pub(crate) fn own_into(&mut self, extra: &mut ::serde_json::Map<String, ::serde_json::Value>) {
                $( if let Some(v) = self.$field.take() {
                    if let Ok(v) = ::serde_json::to_value(&v) {
                        extra.insert($key.to_owned(), v);
                    }
                } )*
            }

            /// Whether any added field is set.
            pub(crate) fn has_own(&self) -> bool {
                false $( || self.$field.is_some() )*
            }

            /// Joins the added fields to the common ones.
            pub(crate) fn with_base(self, base: $crate::vocab::Object) -> $name {
                $name { base, $( $field: self.$field, )* }
            }
        }

        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            /// The properties every object has (and the unknown ones, in `base.extra`).
            pub base: $crate::vocab::Object,
            $( $(#[$fmeta])* pub $field: Option<$ty>, )*
        }

        impl $name {
            /// Reads a whole JSON object.
            pub(crate) fn visit<'de, A: ::serde::de::MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
                let mut base = $crate::vocab::Object::default();
                let mut own = $fields::default();
                while let Some(key) = map.next_key::<$crate::lenient::Key<'de>>()? {
                    if let $crate::vocab::macros::Taken::Unknown = own.take_known(key.as_str(), &mut map, &mut base.extra)? {
                        base.take_any(key, &mut map)?;
                    }
                }
                Ok(own.with_base(base))
            }

            pub(crate) fn serialize_own<M: ::serde::ser::SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
                $( if let Some(v) = &self.$field { m.serialize_entry($key, v)?; } )*
                Ok(())
            }
        }

        impl ::std::ops::Deref for $name {
            type Target = $crate::vocab::Object;
            fn deref(&self) -> &$crate::vocab::Object {
                &self.base
            }
        }

        impl ::std::ops::DerefMut for $name {
            fn deref_mut(&mut self) -> &mut $crate::vocab::Object {
                &mut self.base
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                self.base.serialize_known(&mut m)?;
                self.serialize_own(&mut m)?;
                for (k, v) in &self.base.extra {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }

        impl $crate::lenient::Tolerant for $name {
            fn from_map<'de, A: ::serde::de::MapAccess<'de>>(map: A) -> Result<$crate::lenient::Parsed<Self>, A::Error> {
                Self::visit(map).map($crate::lenient::Parsed::Typed)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::lenient::strict(d)
            }
        }

        impl $crate::lenient::HasId for $name {
            fn id_str(&self) -> Option<&str> {
                self.base.id.as_ref().map(|i| i.as_str())
            }
        }
    };
}
pub(crate) use extend_object;
