using System.Text;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Crypto.Hpke;

namespace Sp.Client.Sealing;

/// <summary>
/// Inputs and results travel sealed (HPKE, RFC 9180: DHKEM(X25519), HKDF-SHA256, AES-256-GCM, base mode).
/// Each kind has its own info label, and the AAD binds the message to where it may be used, so a sealed blob
/// cannot be replayed into another order or role:
///   solution: info "sp/solution/v2", aad = "tee-offer:{teeOfferId}|consumer:{address}|result-key:{base64 result public key}"
///   data:     info "sp/data/v2",     aad = "order:{parentOrderId}|created:{seq of its workflow.create}|sub-order:{subOrderId}"
///             (a data owner's release, and a solution owner's release of a Solution sub-order)
///   consumer data: info "sp/data/v2", aad = "tee-offer:{teeOfferId}|consumer:{address}|result-key:{base64}|solution:{sha256 hex}|input:{position}|sha256:{hex}"
///   result:   info "sp/result/v1",   aad = "order:{orderId}"
/// The solution's AAD names the consumer's result key: a node that serves the TEE an order with another result key
/// (its own) makes the solution unopenable. The data's AAD names the parent order and the ledger entry that created it:
/// a node that serves another order's released data with this order, or a made-up order under the same id, cannot get
/// it opened; the loader checks that entry in the log (OrderProvenance), so the result key is the consumer's signed
/// one (docs/security.md). The consumer's own dataset is sealed before the order exists, so its AAD names what the
/// solution's does plus the solution hash it is given to, its position among the inputs and its own declared hash: it
/// cannot be moved to another place, swapped with another file, or served to an order of another solution.
/// </summary>
public static class Sealed
{
    public static readonly byte[] SolutionInfo = "sp/solution/v2"u8.ToArray();
    public static readonly byte[] DataInfo = "sp/data/v2"u8.ToArray();
    public static readonly byte[] ResultInfo = "sp/result/v1"u8.ToArray();

    public static byte[] SolutionAad(long teeOfferId, string consumer, string resultPublicKey) =>
        Encoding.UTF8.GetBytes($"tee-offer:{teeOfferId}|consumer:{consumer.ToLowerInvariant()}|result-key:{resultPublicKey}");
    public static byte[] DataAad(long parentOrderId, long parentCreatedSeq, long subOrderId) =>
        Encoding.UTF8.GetBytes($"order:{parentOrderId}|created:{parentCreatedSeq}|sub-order:{subOrderId}");
    public static byte[] ConsumerDataAad(long teeOfferId, string consumer, string resultPublicKey, string solutionHash, int position, string hash) =>
        Encoding.UTF8.GetBytes($"tee-offer:{teeOfferId}|consumer:{consumer.ToLowerInvariant()}|result-key:{resultPublicKey}|solution:{solutionHash}|input:{position}|sha256:{hash}");
    public static byte[] ResultAad(long orderId) => Encoding.UTF8.GetBytes($"order:{orderId}");

    public static string Seal<T>(byte[] recipientPublicKey, byte[] info, byte[] aad, T message) =>
        Convert.ToBase64String(Hpke.Seal(recipientPublicKey, info, aad, Encoding.UTF8.GetBytes(SpJson.Serialize(message))));

    /// <summary>Opens a sealed message; null when it was not sealed to this key, for this purpose, or was altered.</summary>
    public static T? Open<T>(byte[] privateKey, byte[] info, byte[] aad, string sealedBase64) where T : class
    {
        byte[] bytes;
        try { bytes = Convert.FromBase64String(sealedBase64); }
        catch (FormatException) { return null; }
        var plain = Hpke.Open(privateKey, info, aad, bytes);
        return plain is null ? null : SpJson.Deserialize<T>(Encoding.UTF8.GetString(plain));
    }
}

/// <summary>What the data owner seals to the TEE at `orders complete`: the dataset and the solution hash approved.</summary>
public sealed record DataRelease(ResourceFile Resource, string SolutionHash);
