import duckdb, time, os
from pathlib import Path
from tre.lake import fhir, fhir_read
from tre.lake.fhir_tables import TABLES
con=duckdb.connect()
con.execute("SET TimeZone='UTC'")
fhir.prepare(con,"synthea",os.urandom(32))
con.execute("create temp table removed(value varchar)")
con.execute("create temp table links(a varchar,b varchar)")
files=fhir_read.discover([Path("/tmp/bigin")])[:26]
T={}
def tick(k,t0): T[k]=T.get(k,0)+time.perf_counter()-t0
t=time.perf_counter()
for batch,done in fhir_read.read_batches(files, 16<<20):
    tick("read",t); t=time.perf_counter()
    fhir.load_batch(con,batch); tick("load",t); t=time.perf_counter()
    fhir.problem_counts(con); fhir.type_counts(con); tick("counts",t); t=time.perf_counter()
    for tb in TABLES:
        fhir.table_rows(con,tb)
    tick("tables",t); t=time.perf_counter()
    fhir.collect_removed(con,"removed"); tick("removed",t); t=time.perf_counter()
    fhir.collect_links(con,"http://hl7.org/fhir/sid/us-ssn","links"); tick("links",t); t=time.perf_counter()
print({k:round(v,2) for k,v in T.items()})
