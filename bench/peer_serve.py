"""The MLflow side of bench/serve_bench.py: LightGBM on the same CSV rows and features as
engage's churn model, of the same size, saved as an MLflow pyfunc model.

The pyfunc wrapper gives each categorical column its training categories before LightGBM
predicts (a JSON request arrives as strings; engage's feature schema does the same mapping),
and returns the probability of class 1.
"""
import argparse
import json
import os
import shutil

import lightgbm
import mlflow.pyfunc
import pandas


class ChurnModel(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        self.booster = lightgbm.Booster(model_file=context.artifacts["booster"])
        with open(context.artifacts["schema"]) as f:
            self.schema = json.load(f)

    def predict(self, context, model_input, params=None):
        frame = pandas.DataFrame({name: model_input[name] for name in self.schema["features"]})
        for name, levels in self.schema["levels"].items():
            frame[name] = pandas.Categorical(frame[name], categories=levels)
        for name in self.schema["features"]:
            if name not in self.schema["levels"]:
                frame[name] = pandas.to_numeric(frame[name], errors="coerce")
        return self.booster.predict(frame)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--features", required=True, help="JSON list of [name, categorical]")
    parser.add_argument("--target", required=True)
    parser.add_argument("--trees", type=int, required=True)
    parser.add_argument("--leaves", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    features = json.loads(args.features)
    names = [name for name, _ in features]
    data = pandas.read_csv(args.data)
    levels = {}
    for name, categorical in features:
        if categorical:
            data[name] = data[name].astype(str).astype("category")
            levels[name] = list(data[name].cat.categories)
    target = data[args.target]
    if target.dtype == object:
        target = (target.astype(str).str.lower().isin(["1", "true", "yes"])).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=args.trees, num_leaves=args.leaves, learning_rate=0.1, verbose=-1)
    model.fit(data[names], target)
    shutil.rmtree(args.out, ignore_errors=True)
    scratch = args.out + "-files"
    os.makedirs(scratch, exist_ok=True)
    booster_path = os.path.join(scratch, "booster.txt")
    model.booster_.save_model(booster_path)
    schema_path = os.path.join(scratch, "schema.json")
    with open(schema_path, "w") as f:
        json.dump({"features": names, "levels": levels}, f)
    mlflow.pyfunc.save_model(args.out, python_model=ChurnModel(), artifacts={"booster": booster_path, "schema": schema_path})
    print(f"saved {args.out}: {args.trees} trees, {args.leaves} leaves, {len(names)} features")


if __name__ == "__main__":
    main()
