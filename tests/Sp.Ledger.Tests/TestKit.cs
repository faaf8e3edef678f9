using System.Text.Json.Nodes;
using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Ledger.Machine;
using Sp.Ledger.Service;
using Sp.Ledger.State;
using Sp.Ledger.Transactions;

namespace Sp.Ledger.Tests;

/// <summary>A ledger under test: the bare state machine or the full service.</summary>
public interface ILedgerUnderTest
{
    string Network { get; }
    long NextNonce(string address);
    TxOutcome Submit(SignedTransaction tx);
    string Digest();
    T Read<T>(Func<MarketState, T> query);
}

/// <summary>Feeds entries straight into <see cref="MarketMachine.Apply"/>, one second apart.</summary>
public sealed class MachineLedger(string network = TestKit.Network) : ILedgerUnderTest
{
    public const long StartTime = 1_750_000_000_000;

    public MarketState State { get; } = new() { Network = network, TeeCertificates = TestKit.FakeTeeCertificates };
    public long Time { get; private set; } = StartTime;
    public string Network => State.Network;
    public long NextNonce(string address) => State.NextNonce(address);

    public LedgerEntry NextEntry(SignedTransaction tx) => new LedgerEntry
    {
        Seq = State.Height + 1,
        Time = Time += 1000,
        PrevHash = State.LastHash,
        Signed = tx,
    }.WithHash();

    public TxOutcome Submit(SignedTransaction tx) => MarketMachine.Apply(State, NextEntry(tx));
    /// <summary>Moves the ledger's clock forward (each entry also adds one second).</summary>
    public void Advance(long millis) => Time += millis;
    public string Digest() => LedgerService.ComputeDigest(State);
    public T Read<T>(Func<MarketState, T> query) => query(State);
}

public sealed class ServiceLedger(LedgerService service) : ILedgerUnderTest
{
    public LedgerService Service { get; } = service;
    public string Network => Service.Network;
    public long NextNonce(string address) => Service.Read(s => s.NextNonce(address));
    public TxOutcome Submit(SignedTransaction tx) => Service.Submit(tx);
    public string Digest() => Service.StateDigest();
    public T Read<T>(Func<MarketState, T> query) => Service.Read(query);
}

public static class TestKit
{
    public const string Network = "devnet-test";
    /// <summary>SHA-256 of the guide's solution archive (collaboration-guide.md, step 11).</summary>
    public const string SolutionHash = "8598805cd2136a4beff17559a7228854f6a8cc0b027856ea5c196fb8d0602501";
    public const string OtherHash = "0000000000000000000000000000000000000000000000000000000000000001";
    public const string TeeChain = "-----BEGIN CERTIFICATE-----\nTEE\n-----END CERTIFICATE-----\n";

    /// <summary>A stand-in TEE certificate chain that <see cref="FakeTeeCertificates"/> reads as naming <paramref name="teeAccount"/>.</summary>
    public static string TeeChainFor(AccountKey teeAccount) =>
        $"-----BEGIN CERTIFICATE-----\nTEE account={teeAccount.Address.Lower}\n-----END CERTIFICATE-----\n";

    /// <summary>
    /// The state machine's tests stand the X.509 check (tested in Sp.Certification.Tests and end to end) in with this
    /// reader: a chain made by <see cref="TeeChainFor"/> names its account, anything else is refused.
    /// </summary>
    public static readonly TeeCertificateReader FakeTeeCertificates = (chain, _) =>
        System.Text.RegularExpressions.Regex.Match(chain, "account=(0x[0-9a-f]{40})") is { Success: true } m
            ? TeeAccountReading.Of(m.Groups[1].Value)
            : TeeAccountReading.Refused("not a TEE certificate of this network (test reader)");

    public static SignedTransaction Sign(this ILedgerUnderTest ledger, AccountKey key, TxPayload payload,
        long? nonce = null, string? network = null) =>
        SignedTransaction.Sign(
            Transaction.Create(network ?? ledger.Network, key.Address, nonce ?? ledger.NextNonce(key.Address.Lower), payload),
            key);

    public static TxOutcome Send(this ILedgerUnderTest ledger, AccountKey key, TxPayload payload) =>
        ledger.Submit(ledger.Sign(key, payload));

    public static OfferInfo DataInfo(bool cancelable = false, params string[] allowedAccounts) => new()
    {
        Name = "Offer name",
        Group = "0",
        OfferType = "3",
        Cancelable = cancelable,
        Description = "Offer description",
        AllowedAccounts = allowedAccounts.ToList(),
        Version = new OfferVersion
        {
            Version = 1,
            Status = "0",
            Info = new JsonObject { ["metadata"] = new JsonObject { ["groupingOffers"] = true } },
        },
    };

    public static OfferInfo TeeInfo(bool cancelable = true) => new()
    {
        Name = "Compute",
        Group = "1",
        OfferType = "0",
        Cancelable = cancelable,
    };

    /// <summary>The guide's slot-info.json.</summary>
    public static SlotInfo Slot() => new()
    {
        Info = new SlotResources { DiskUsage = 10_485_760 },
        Usage = new SlotUsage { MinTimeMinutes = 15_000, Price = "0", PriceType = "1" },
        Option = new SlotOption(),
    };

    public static SolutionInput Solution(string hash = SolutionHash) => new(hash, 1234, "sealed-solution");

    public static OrderReport Report(long orderId) => new()
    {
        Certificate = TeeChain,
        WorkloadInfo = new WorkloadInfo
        {
            RuntimeInfo =
            [
                new RuntimeInfoEntry { Type = "Image", Size = 1234, Hash = new HashInfo { Value = SolutionHash } },
            ],
            Created = MachineLedger.StartTime,
            OrderId = orderId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
    };
}

/// <summary>
/// The guide's cast: Alice (solution), Bob (data), and the compute provider running the TEE, with helpers that
/// perform each step and assert that it was accepted.
/// </summary>
public sealed class Scenario : IDisposable
{
    public Scenario(ILedgerUnderTest ledger) => Ledger = ledger;

    public ILedgerUnderTest Ledger { get; }
    public AccountKey Alice { get; } = AccountKey.Generate();
    public AccountKey Bob { get; } = AccountKey.Generate();
    public AccountKey Tee { get; } = AccountKey.Generate();
    public AccountKey Mallory { get; } = AccountKey.Generate();

    public static Scenario OnMachine() => new(new MachineLedger());

    public TxOutcome Send(AccountKey key, TxPayload payload) => Ledger.Send(key, payload);

    public TxOutcome Ok(AccountKey key, TxPayload payload)
    {
        var o = Send(key, payload);
        Assert.True(o.Accepted, $"{payload.TypeName} refused: {o.Error}");
        return o;
    }

    /// <summary>Submits, asserts refusal with a message containing <paramref name="expected"/>, and that
    /// nothing changed (state digest and the sender's nonce).</summary>
    public string Refused(AccountKey key, TxPayload payload, string expected)
    {
        var before = Ledger.Digest();
        var o = Send(key, payload);
        Assert.False(o.Accepted, $"{payload.TypeName} was accepted, expected a refusal containing '{expected}'");
        Assert.Contains(expected, o.Error);
        Assert.Equal(before, Ledger.Digest());
        return o.Error!;
    }

    public void Provider(AccountKey key, string name = "provider") =>
        Ok(key, new ProviderCreate(name, "description"));

    public (long OfferId, long SlotId) DataOffer(AccountKey? owner = null, OfferInfo? info = null)
    {
        owner ??= Bob;
        if (!Ledger.Read(s => s.Providers.ContainsKey(owner.Address.Lower))) Provider(owner);
        var offer = Ok(owner, new OfferCreate(OfferType.Data, info ?? TestKit.DataInfo())).Ids.Offer.Value;
        var slot = Ok(owner, new SlotAdd(offer, TestKit.Slot())).Ids.Slot.Value;
        return (offer, slot);
    }

    public (long OfferId, long SlotId) TeeOffer(OfferInfo? info = null)
    {
        if (!Ledger.Read(s => s.Providers.ContainsKey(Tee.Address.Lower))) Provider(Tee);
        var offer = Ok(Tee, new OfferCreate(OfferType.TeeOffer, info ?? TestKit.TeeInfo(), TestKit.TeeChainFor(Tee))).Ids.Offer.Value;
        var slot = Ok(Tee, new SlotAdd(offer, TestKit.Slot())).Ids.Slot.Value;
        return (offer, slot);
    }

    public static WorkflowCreate WorkflowPayload(long tee, long? teeSlot, params (long Offer, long Slot)[] data) =>
        new(tee, teeSlot, TestKit.Solution(), data.Select(d => new DataInput(d.Offer, d.Slot)).ToList(), "alice-result-public-key");

    public (long OrderId, IReadOnlyList<long> SubOrderIds) Workflow(long tee, params (long Offer, long Slot)[] data)
    {
        var o = Ok(Alice, WorkflowPayload(tee, null, data));
        return (o.Ids.Order.Value, o.SubOrderIds);
    }

    /// <summary>Provider, data offer + slot, TEE offer + slot, workflow: the parent is Blocked by one sub-order.</summary>
    public (long Data, long Tee, long Order, long Sub) UpToWorkflow(OfferInfo? dataInfo = null, OfferInfo? teeInfo = null)
    {
        var data = DataOffer(info: dataInfo);
        var tee = TeeOffer(teeInfo);
        var (order, subs) = Workflow(tee.OfferId, data);
        return (data.OfferId, tee.OfferId, order, subs.Single());
    }

    public void Complete(long sub, string hash = TestKit.SolutionHash, AccountKey? by = null) =>
        Ok(by ?? Bob, new OrderComplete(sub, OrderStatus.Done, hash, "sealed-dataset"));

    public void Start(long order) => Ok(Tee, new OrderStart(order));

    public Order Order(long id) => Ledger.Read(s => s.Orders[id]);
    public OrderStatus Status(long id) => Ledger.Read(s => s.Orders[id].Status);
    public Offer Offer(long id) => Ledger.Read(s => s.Offers[id]);

    public void Dispose()
    {
        Alice.Dispose();
        Bob.Dispose();
        Tee.Dispose();
        Mallory.Dispose();
    }
}

/// <summary>Clocks for the ledger service (which reads the time once per accepted transaction).</summary>
public static class TestClock
{
    /// <summary>Always <paramref name="unixMillis"/>.</summary>
    public static Microsoft.Extensions.Time.Testing.FakeTimeProvider At(long unixMillis) => new(DateTimeOffset.FromUnixTimeMilliseconds(unixMillis));

    /// <summary><paramref name="firstMillis"/> at the first read, then <paramref name="stepMillis"/> later at each next one.</summary>
    public static Microsoft.Extensions.Time.Testing.FakeTimeProvider Stepping(long firstMillis, long stepMillis) =>
        new(DateTimeOffset.FromUnixTimeMilliseconds(firstMillis)) { AutoAdvanceAmount = TimeSpan.FromMilliseconds(stepMillis) };
}

/// <summary>A clock that reads the given times in turn (one that may go backwards, as a host's clock can).</summary>
public sealed class SequenceClock(Queue<long> unixMillis) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(unixMillis.Dequeue());
}
