namespace Sp.Crypto.Hpke;

/// <summary>RFC 9180 §7.1 KEM identifiers that we implement.</summary>
internal enum HpkeKemId : ushort
{
    DhKemP256HkdfSha256 = 0x0010,
    DhKemX25519HkdfSha256 = 0x0020,
}

/// <summary>RFC 9180 §7.2 KDF identifiers that we implement.</summary>
internal enum HpkeKdfId : ushort
{
    HkdfSha256 = 0x0001,
}

/// <summary>RFC 9180 §7.3 AEAD identifiers that we implement.</summary>
internal enum HpkeAeadId : ushort
{
    Aes128Gcm = 0x0001,
    Aes256Gcm = 0x0002,
    ChaCha20Poly1305 = 0x0003,
}

/// <summary>RFC 9180 §5 Table 1.</summary>
internal enum HpkeMode : byte
{
    Base = 0x00,
    Psk = 0x01,
    Auth = 0x02,
    AuthPsk = 0x03,
}
