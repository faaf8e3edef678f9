namespace Sp.Storage;
