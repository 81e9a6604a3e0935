//! LEB128 varints and zig-zag signed varints: the encoding of the blobs an
//! engine packs (a session's steps, a sealed day's heat cells and anchors).

use crate::store::StoreError;

pub(crate) fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(crate) fn put_signed(out: &mut Vec<u8>, v: i64) {
    put(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Reads varints from a blob; `what` names the blob in the error a
/// truncated or overlong one gives.
pub(crate) struct Cursor<'a> {
    blob: &'a [u8],
    at: usize,
    what: &'static str,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(blob: &'a [u8], what: &'static str) -> Self {
        Self { blob, at: 0, what }
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.at >= self.blob.len()
    }

    pub(crate) fn corrupt(&self) -> StoreError {
        StoreError::Corrupt(format!("{} are unreadable", self.what))
    }

    #[inline]
    pub(crate) fn varint(&mut self) -> Result<u64, StoreError> {
        // Most values of the blobs are below 128: one byte.
        if let Some(&byte) = self.blob.get(self.at) {
            if byte < 0x80 {
                self.at += 1;
                return Ok(u64::from(byte));
            }
        }
        self.long_varint()
    }

    fn long_varint(&mut self) -> Result<u64, StoreError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.blob.get(self.at).ok_or_else(|| self.corrupt())?;
            self.at += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.corrupt())
    }

    #[inline]
    pub(crate) fn signed(&mut self) -> Result<i64, StoreError> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    pub(crate) fn byte(&mut self) -> Result<u8, StoreError> {
        let byte = *self.blob.get(self.at).ok_or_else(|| self.corrupt())?;
        self.at += 1;
        Ok(byte)
    }

    /// The next `len` bytes.
    pub(crate) fn bytes(&mut self, len: usize) -> Result<&'a [u8], StoreError> {
        let bytes = self
            .blob
            .get(self.at..self.at.saturating_add(len))
            .ok_or_else(|| self.corrupt())?;
        self.at += len;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_and_a_cut_blob_is_an_error() {
        let values = [0i64, 1, -1, 63, -64, 64, 1 << 40, i64::MIN, i64::MAX];
        let mut blob = Vec::new();
        for v in values {
            put_signed(&mut blob, v);
        }
        put(&mut blob, u64::MAX);
        let mut cursor = Cursor::new(&blob, "test values");
        for v in values {
            assert_eq!(cursor.signed().expect("value"), v);
        }
        assert_eq!(cursor.varint().expect("max"), u64::MAX);
        assert!(cursor.is_empty());
        let mut cut = Cursor::new(&blob[..blob.len() - 1], "test values");
        let err = (0..values.len() + 1)
            .map(|_| cut.varint())
            .find_map(Result::err)
            .expect("an error");
        assert!(
            err.to_string().contains("test values are unreadable"),
            "{err}"
        );
    }
}
