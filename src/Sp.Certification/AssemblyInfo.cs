namespace Sp.Certification;
