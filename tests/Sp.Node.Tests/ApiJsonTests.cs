using Sp.Api;
using Sp.Core.Json;
using Sp.Core.Model;
using Sp.Crypto.Accounts;
using Sp.Ledger.Transactions;
using Dto = Sp.Api;
using MarketState = Sp.Ledger.State.MarketState;
using Offer = Sp.Ledger.State.Offer;
using Order = Sp.Ledger.State.Order;
using Payment = Sp.Ledger.State.Payment;
using Provider = Sp.Ledger.State.Provider;
using Settlement = Sp.Ledger.State.Settlement;
using Slot = Sp.Ledger.State.Slot;

namespace Sp.Node.Tests;

/// <summary>
/// The JSON of the node's answers for a marketplace state with every member of every record set (and an offer and
/// an order with every optional member absent): the node maps the ledger's state records to Sp.Api's DTOs, and
/// serves exactly what it served when it serialised the state records themselves.
/// </summary>
public sealed class ApiJsonTests
{
    private static MarketState State()
    {
        var s = new MarketState { Network = "devnet-json" };
        const string alice = "0x00000000000000000000000000000000000000a1", bob = "0x00000000000000000000000000000000000000b0";
        s.Providers[bob] = new Provider { Address = bob, Name = "Bob \"<Data>\"", Description = "é & ✓", Created = 11 };
        var info = new OfferInfo
        {
            Name = "data", Group = "0", OfferType = "3", Cancelable = true, Description = "d", Input = "i", Output = "o", AllowedArgs = "a",
            AllowedAccounts = [alice], ArgsPublicKey = "k", ResultResource = "r", SubType = "1",
            Restrictions = new OfferRestrictions { Offers = ["1"], Types = ["0"] },
            Version = new OfferVersion { Version = 2, Status = "1", Info = new System.Text.Json.Nodes.JsonObject { ["x"] = 1 } },
        };
        s.Offers[4] = new Offer
        {
            Id = 4, Type = OfferType.Data, Owner = bob, Info = info, TeeCertificate = "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n",
            TeeAccount = alice, Enabled = false, SlotIds = [7], Created = 12,
        };
        s.Offers[5] = new Offer { Id = 5, Type = OfferType.TeeOffer, Owner = alice, Info = new OfferInfo { Name = "tee" } };
        s.Slots[7] = new Slot
        {
            Id = 7, OfferId = 4, Info = new SlotInfo
            {
                Info = new SlotResources { CpuCores = 1, GpuCores = 2, DiskUsage = 3, Ram = 4, Vram = 5 },
                Usage = new SlotUsage { MaxTimeMinutes = 6, MinTimeMinutes = 7, Price = "1500000000000000000", PriceType = "0" },
                Option = new SlotOption { Bandwidth = 8, ExternalPort = 9, Traffic = 10 },
            },
        };
        var statement = new ResultStatement
        {
            Claims = new ResultClaims { OrderId = "9", Status = "Done", Message = "m", ResultSha256 = "aa", ResultSize = 3, ReportSha256 = "bb" },
            Certificate = "chain", Signature = "sig",
        };
        var report = new OrderReport
        {
            Certificate = "order-chain",
            WorkloadInfo = new WorkloadInfo
            {
                RuntimeInfo = [new RuntimeInfoEntry { Type = "Image", Size = 5, Hash = new HashInfo { Value = "cc" } }],
                Created = 13, OrderId = "9", OrderCapacity = new() { ["cpu"] = 1 }, AttestationType = "sim",
            },
        };
        s.Orders[9] = new Order
        {
            Id = 9, ParentId = null, Type = OfferType.TeeOffer, OfferId = 1, SlotId = 2, Consumer = alice, Status = OrderStatus.Done,
            StatusMessage = "ok", Created = 14, Modified = 15, SubOrderIds = [10], Solution = new SolutionInput("dd", 6, "sealed"),
            ResultPublicKey = "rpk", SealedResult = "sr", Report = report, CreatedSeq = 16, CompletedSeq = 17, TeeAccount = alice,
            ResultStatement = statement, ReportSeq = 18, Usage = s.Slots[7].Info.Usage, Deposit = TokenAmount.FromTokens(2), Started = 19,
            Settlement = new Settlement
            {
                Time = 20, UsedMillis = 21, Refund = TokenAmount.FromUnits(5),
                Payments = [new Payment(bob, 4, TokenAmount.FromUnits(1_000_000_000_000_000_001))],
            },
            SealedResource = "res", ApprovedSolutionHash = "ee",
        };
        s.Orders[10] = new Order
        {
            Id = 10, ParentId = 9, Type = OfferType.Data, OfferId = 4, Consumer = alice, Status = OrderStatus.New,
        };
        return s;
    }

    /// <summary>What the node serves, by endpoint, for <see cref="State"/>: its mapping of the state records to Sp.Api's DTOs.</summary>
    private static IEnumerable<(string Endpoint, object Answer)> Answers(MarketState s)
    {
        yield return ("GET /api/providers/{address}", s.Providers.Values.Single().ToDto());
        yield return ("GET /api/offers/{id}", ApiMapping.OfferView(s, s.Offers[4]));
        yield return ("GET /api/offers", s.Offers.Values.Select(o => ApiMapping.OfferView(s, o)).ToList());
        yield return ("GET /api/orders/{id}", ApiMapping.OrderView(s, s.Orders[9]));
        yield return ("GET /api/orders", s.Orders.Values.Select(o => o.ToDto()).ToList());
        yield return ("GET /api/orders/{id}/report", ApiMapping.ReportView(s.Orders[9])!);
        Assert.True(Address.TryParse("0x00000000000000000000000000000000000000a1", out var alice));
        s.Balances[alice.Lower] = TokenAmount.FromUnits(3);
        yield return ("GET /api/accounts/{address}/balance", ApiMapping.Balance(s, alice));
    }

    /// <summary>How a client reads each answer (Sp.Client's NodeClient).</summary>
    private static readonly Dictionary<string, Func<string, object>> Readers = new()
    {
        ["GET /api/providers/{address}"] = SpJson.Deserialize<Dto.Provider>,
        ["GET /api/offers/{id}"] = SpJson.Deserialize<OfferView>,
        ["GET /api/offers"] = SpJson.Deserialize<List<OfferView>>,
        ["GET /api/orders/{id}"] = SpJson.Deserialize<OrderView>,
        ["GET /api/orders"] = SpJson.Deserialize<List<Dto.Order>>,
        ["GET /api/orders/{id}/report"] = SpJson.Deserialize<ReportView>,
        ["GET /api/accounts/{address}/balance"] = SpJson.Deserialize<BalanceResponse>,
    };

    /// <summary>The answers as the node served them before its messages were DTOs (captured on main at 9660dd2, when it
    /// serialised the ledger's state records themselves): the API's JSON must not change. A member added to a state
    /// record does not appear here unless it is added to its DTO (Sp.Api) and to ApiMapping.</summary>
    private static readonly Dictionary<string, string> Golden = new()
    {
        ["GET /api/providers/{address}"] = """
        {"address":"0x00000000000000000000000000000000000000b0","name":"Bob \"<Data>\"","description":"é & ✓","created":11}
        """,
        ["GET /api/offers/{id}"] = """
        {"offer":{"id":4,"type":"Data","owner":"0x00000000000000000000000000000000000000b0","info":{"name":"data","group":"0","offerType":"3","cancelable":true,"description":"d","restrictions":{"offers":["1"],"types":["0"]},"input":"i","output":"o","allowedArgs":"a","allowedAccounts":["0x00000000000000000000000000000000000000a1"],"argsPublicKey":"k","resultResource":"r","subType":"1","version":{"version":2,"status":"1","info":{"x":1}}},"teeCertificate":"-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n","teeAccount":"0x00000000000000000000000000000000000000a1","enabled":false,"slotIds":[7],"created":12},"slots":[{"id":7,"offerId":4,"info":{"info":{"cpuCores":1,"gpuCores":2,"diskUsage":3,"ram":4,"vram":5},"usage":{"maxTimeMinutes":6,"minTimeMinutes":7,"price":"1500000000000000000","priceType":"0"},"option":{"bandwidth":8,"externalPort":9,"traffic":10}}}],"provider":{"address":"0x00000000000000000000000000000000000000b0","name":"Bob \"<Data>\"","description":"é & ✓","created":11}}
        """,
        ["GET /api/offers"] = """
        [{"offer":{"id":4,"type":"Data","owner":"0x00000000000000000000000000000000000000b0","info":{"name":"data","group":"0","offerType":"3","cancelable":true,"description":"d","restrictions":{"offers":["1"],"types":["0"]},"input":"i","output":"o","allowedArgs":"a","allowedAccounts":["0x00000000000000000000000000000000000000a1"],"argsPublicKey":"k","resultResource":"r","subType":"1","version":{"version":2,"status":"1","info":{"x":1}}},"teeCertificate":"-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n","teeAccount":"0x00000000000000000000000000000000000000a1","enabled":false,"slotIds":[7],"created":12},"slots":[{"id":7,"offerId":4,"info":{"info":{"cpuCores":1,"gpuCores":2,"diskUsage":3,"ram":4,"vram":5},"usage":{"maxTimeMinutes":6,"minTimeMinutes":7,"price":"1500000000000000000","priceType":"0"},"option":{"bandwidth":8,"externalPort":9,"traffic":10}}}],"provider":{"address":"0x00000000000000000000000000000000000000b0","name":"Bob \"<Data>\"","description":"é & ✓","created":11}},{"offer":{"id":5,"type":"TeeOffer","owner":"0x00000000000000000000000000000000000000a1","info":{"name":"tee","group":"0","offerType":"3","cancelable":false,"description":"","restrictions":{"offers":[],"types":[]},"input":"","output":"","allowedArgs":"","allowedAccounts":[],"argsPublicKey":"","resultResource":"","subType":"0"},"enabled":true,"slotIds":[],"created":0},"slots":[]}]
        """,
        ["GET /api/orders/{id}"] = """
        {"order":{"id":9,"type":"TeeOffer","offerId":1,"slotId":2,"consumer":"0x00000000000000000000000000000000000000a1","status":"Done","statusMessage":"ok","created":14,"modified":15,"subOrderIds":[10],"solution":{"hash":"dd","size":6,"sealedResource":"sealed"},"resultPublicKey":"rpk","sealedResult":"sr","report":{"certificate":"order-chain","workloadInfo":{"runtimeInfo":[{"type":"Image","size":5,"hash":{"algo":"sha256","encoding":"hex","hash":"cc"}}],"created":13,"orderId":"9","orderCapacity":{"cpu":1},"attestationType":"sim"}},"createdSeq":16,"completedSeq":17,"teeAccount":"0x00000000000000000000000000000000000000a1","resultStatement":{"claims":{"version":1,"orderId":"9","status":"Done","message":"m","resultSha256":"aa","resultSize":3,"reportSha256":"bb"},"certificate":"chain","signature":"sig"},"reportSeq":18,"usage":{"maxTimeMinutes":6,"minTimeMinutes":7,"price":"1500000000000000000","priceType":"0"},"deposit":"2000000000000000000","started":19,"settlement":{"time":20,"usedMillis":21,"payments":[{"to":"0x00000000000000000000000000000000000000b0","offerId":4,"amount":"1000000000000000001"}],"refund":"5"},"sealedResource":"res","approvedSolutionHash":"ee"},"subOrders":[{"id":10,"parentId":9,"type":"Data","offerId":4,"consumer":"0x00000000000000000000000000000000000000a1","status":"New","statusMessage":"","created":0,"modified":0,"subOrderIds":[]}]}
        """,
        ["GET /api/orders"] = """
        [{"id":9,"type":"TeeOffer","offerId":1,"slotId":2,"consumer":"0x00000000000000000000000000000000000000a1","status":"Done","statusMessage":"ok","created":14,"modified":15,"subOrderIds":[10],"solution":{"hash":"dd","size":6,"sealedResource":"sealed"},"resultPublicKey":"rpk","sealedResult":"sr","report":{"certificate":"order-chain","workloadInfo":{"runtimeInfo":[{"type":"Image","size":5,"hash":{"algo":"sha256","encoding":"hex","hash":"cc"}}],"created":13,"orderId":"9","orderCapacity":{"cpu":1},"attestationType":"sim"}},"createdSeq":16,"completedSeq":17,"teeAccount":"0x00000000000000000000000000000000000000a1","resultStatement":{"claims":{"version":1,"orderId":"9","status":"Done","message":"m","resultSha256":"aa","resultSize":3,"reportSha256":"bb"},"certificate":"chain","signature":"sig"},"reportSeq":18,"usage":{"maxTimeMinutes":6,"minTimeMinutes":7,"price":"1500000000000000000","priceType":"0"},"deposit":"2000000000000000000","started":19,"settlement":{"time":20,"usedMillis":21,"payments":[{"to":"0x00000000000000000000000000000000000000b0","offerId":4,"amount":"1000000000000000001"}],"refund":"5"},"sealedResource":"res","approvedSolutionHash":"ee"},{"id":10,"parentId":9,"type":"Data","offerId":4,"consumer":"0x00000000000000000000000000000000000000a1","status":"New","statusMessage":"","created":0,"modified":0,"subOrderIds":[]}]
        """,
        ["GET /api/orders/{id}/report"] = """
        {"orderId":9,"report":{"certificate":"order-chain","workloadInfo":{"runtimeInfo":[{"type":"Image","size":5,"hash":{"algo":"sha256","encoding":"hex","hash":"cc"}}],"created":13,"orderId":"9","orderCapacity":{"cpu":1},"attestationType":"sim"},"resultStatement":{"claims":{"version":1,"orderId":"9","status":"Done","message":"m","resultSha256":"aa","resultSize":3,"reportSha256":"bb"},"certificate":"chain","signature":"sig"}},"seq":18}
        """,
        ["GET /api/accounts/{address}/balance"] = """
        {"address":"0x00000000000000000000000000000000000000A1","balance":"3","locked":"0"}
        """,
    };

    [Fact]
    public void The_node_serves_the_JSON_it_always_served()
    {
        var answers = Answers(State()).ToList();
        Assert.Equal(Golden.Keys, answers.Select(a => a.Endpoint));
        foreach (var (endpoint, answer) in answers)
            Assert.True(Golden[endpoint] == SpJson.Serialize(answer), $"{endpoint}: {SpJson.Serialize(answer)}");
    }

    [Fact]
    public void A_client_reads_every_member_the_node_serves()
    {
        Assert.Equal(Golden.Keys, Readers.Keys);
        foreach (var (endpoint, json) in Golden)
            Assert.True(json == SpJson.Serialize(Readers[endpoint](json)), $"{endpoint} read and written again: {SpJson.Serialize(Readers[endpoint](json))}");
    }
}
