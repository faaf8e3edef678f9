using System.Text;
using System.Text.Json.Nodes;
using Sp.Core.Json;
using Sp.Core.Model;

namespace Sp.Core.Tests;

public sealed class JsonFormatTests
{
    // The guide's files, exactly as section 7 prints them.
    private const string GuideOfferInfo = """
        {
           "name":"Offer name",
           "group":"0",
           "offerType":"3",
           "cancelable":false,
           "description":"Offer description",
           "restrictions":{ "offers":[ ], "types":[ ] },
           "input":"", "output":"", "allowedArgs":"", "allowedAccounts":[ ], "argsPublicKey":"", "resultResource":"",
           "subType":"0",
           "version":{ "version":1, "status":"0", "info":{ "metadata":{ "groupingOffers":true } } }
        }
        """;

    private const string GuideSlotInfo = """
        {
            "info": { "cpuCores": 0, "gpuCores": 0, "diskUsage": 10485760, "ram": 0, "vram": 0 },
            "usage": { "maxTimeMinutes": 0, "minTimeMinutes": 15000, "price": "0", "priceType": "1" },
            "option": { "bandwidth": 0, "externalPort": 0, "traffic": 0 }
        }
        """;

    public sealed class TheStrictParser
    {
        [Fact]
        public void Accepts_the_guides_offer_info()
        {
            var info = StrictJson.Parse<OfferInfo>(GuideOfferInfo, "offer-info.json");
            Assert.Equal("Offer name", info.Name);
            Assert.Equal("3", info.OfferType);
            Assert.False(info.Cancelable);
            Assert.True(info.Version!.Info!["metadata"]!["groupingOffers"]!.GetValue<bool>());
        }

        [Fact]
        public void Accepts_the_guides_slot_info()
        {
            var slot = StrictJson.Parse<SlotInfo>(GuideSlotInfo, "slot-info.json");
            Assert.Equal(10485760, slot.Info.DiskUsage);
            Assert.Equal(15000, slot.Usage.MinTimeMinutes);
            Assert.Equal("1", slot.Usage.PriceType);
        }

        [Fact]
        public void Names_the_file_and_the_unknown_field()
        {
            var json = GuideSlotInfo.Replace("\"ram\": 0", "\"ram\": 0, \"colour\": 1");
            var e = Assert.Throws<InvalidDataException>(() => StrictJson.Parse<SlotInfo>(json, "slot-info.json"));
            Assert.StartsWith("slot-info.json: unknown field 'colour'", e.Message);
        }

        [Fact]
        public void Names_the_field_with_a_wrong_type()
        {
            var json = GuideSlotInfo.Replace("\"diskUsage\": 10485760", "\"diskUsage\": \"big\"");
            var e = Assert.Throws<InvalidDataException>(() => StrictJson.Parse<SlotInfo>(json, "slot-info.json"));
            Assert.Contains("slot-info.json", e.Message);
            Assert.Contains("diskUsage", e.Message);
        }

        [Fact]
        public void Names_a_missing_required_field()
        {
            var e = Assert.Throws<InvalidDataException>(() => StrictJson.Parse<OfferInfo>("{\"group\":\"0\"}", "offer-info.json"));
            Assert.Contains("missing required field", e.Message);
            Assert.Contains("name", e.Message);
        }
    }

    public sealed class TheResourceFile
    {
        [Fact]
        public void Keeps_the_originals_top_level_names()
        {
            var r = new ResourceFile
            {
                Hash = new HashInfo { Value = new string('a', 64) },
                Size = 5,
                Encryption = new EncryptionInfo { Key = "a2V5" },
                Resource = new StorageResource { StorageType = "SP_NODE", Filepath = "x" },
            };
            var node = JsonNode.Parse(SpJson.Serialize(r))!.AsObject();
            Assert.Equal(new[] { "hash", "size", "encryption", "resource", "kind" }, node.Select(p => p.Key));
            Assert.Equal("sha256", node["hash"]!["algo"]!.GetValue<string>());
            Assert.Equal(new string('a', 64), node["hash"]!["hash"]!.GetValue<string>());
            Assert.Equal("STORAGE_PROVIDER", node["resource"]!["type"]!.GetValue<string>());
            Assert.Equal(r, SpJson.Deserialize<ResourceFile>(SpJson.Serialize(r)) with { Resource = r.Resource });
        }
    }

    public sealed class TheCanonicalForm
    {
        // RFC 8785 section 3.2.3 sorts by UTF-16 code units; 3.2.2.2 escapes only what JSON requires.
        [Theory]
        [InlineData("{\"b\":1,\"a\":[true,false,null]}", "{\"a\":[true,false,null],\"b\":1}")]
        [InlineData("{ \"z\" : { \"y\": 2, \"x\": 1 } }", "{\"z\":{\"x\":1,\"y\":2}}")]
        [InlineData("{\"s\":\"\\u00e9\\n\\u001f\\\"/\"}", "{\"s\":\"é\\n\\u001f\\\"/\"}")]
        [InlineData("{\"\\u20ac\":1,\"\\r\":2,\"1\":3}", "{\"\\r\":2,\"1\":3,\"€\":1}")]
        [InlineData("[-0,9007199254740991]", "[0,9007199254740991]")]
        public void Matches_RFC_8785(string input, string canonical) =>
            Assert.Equal(canonical, Encoding.UTF8.GetString(Jcs.Canonicalize(JsonNode.Parse(input))));

        [Fact]
        public void Is_independent_of_whitespace_and_key_order()
        {
            var a = Jcs.Canonicalize(JsonNode.Parse("{\"x\":{\"b\":[1,2],\"a\":\"t\"},\"y\":null}"));
            var b = Jcs.Canonicalize(JsonNode.Parse("{ \"y\" : null , \"x\" : { \"a\" : \"t\" , \"b\" : [ 1 , 2 ] } }"));
            Assert.Equal(a, b);
        }

        [Theory]
        [InlineData("1.5")]
        [InlineData("1e3")]
        [InlineData("9007199254740993")]
        public void Refuses_numbers_it_cannot_represent_exactly(string number) =>
            Assert.Throws<FormatException>(() => Jcs.Canonicalize(JsonNode.Parse("{\"n\":" + number + "}")));
    }

    public sealed class TheHexParser
    {
        [Fact]
        public void Accepts_a_0x_prefix_and_checks_the_length()
        {
            Assert.Equal(new byte[] { 0xab, 0xcd }, Hex.Parse("0xABcd", 2));
            var e = Assert.Throws<FormatException>(() => Hex.Parse("abcd", 3, "solution hash"));
            Assert.Equal("solution hash: expected 6 hex digits, got 4", e.Message);
        }
    }
}
