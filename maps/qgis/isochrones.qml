<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.28.0-Firenze" styleCategories="Symbology|Labeling" labelsEnabled="0">
 <renderer-v2 type="RuleRenderer" forceraster="0" symbollevels="0" enableorderby="1" referencescale="-1">
  <rules key="{20ad5e95-0296-5879-97e2-eef9b1ba9062}">
   <rule key="{cdb4b4e4-90d7-52e6-9abf-54b665fb5377}" label="步行可达范围 / walking isochrones">
    <rule key="{c28764cc-038a-5e3f-8f86-a277189821fb}" filter="&quot;cutoff_m&quot; = 300 AND &quot;kind&quot; = 'ring'" symbol="0" label="0–5 分钟 / min" />
    <rule key="{e614bfcd-b78b-5b8d-a278-fa6cd75bad8c}" filter="&quot;cutoff_m&quot; = 600 AND &quot;kind&quot; = 'ring'" symbol="1" label="5–10 分钟 / min" />
    <rule key="{91bb103b-8438-5bb7-a983-84a2726147e3}" filter="&quot;cutoff_m&quot; = 900 AND &quot;kind&quot; = 'ring'" symbol="2" label="10–15 分钟 / min" />
   </rule>
  </rules>
  <symbols>
   <symbol type="fill" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="border_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="color" value="26,152,80,110" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="26,152,80,255" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.4" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="style" value="solid" />
     </Option>
     <prop k="border_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="color" v="26,152,80,110" />
     <prop k="joinstyle" v="bevel" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="26,152,80,255" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.4" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="style" v="solid" />
    </layer>
   </symbol>
   <symbol type="fill" name="1" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="border_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="color" value="145,207,96,110" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="145,207,96,255" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.4" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="style" value="solid" />
     </Option>
     <prop k="border_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="color" v="145,207,96,110" />
     <prop k="joinstyle" v="bevel" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="145,207,96,255" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.4" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="style" v="solid" />
    </layer>
   </symbol>
   <symbol type="fill" name="2" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="border_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="color" value="217,239,139,110" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="217,239,139,255" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.4" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="style" value="solid" />
     </Option>
     <prop k="border_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="color" v="217,239,139,110" />
     <prop k="joinstyle" v="bevel" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="217,239,139,255" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.4" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="style" v="solid" />
    </layer>
   </symbol>
  </symbols>
  <orderby>
   <orderByClause asc="0" nullsFirst="0">"cutoff_m"</orderByClause>
  </orderby>
 </renderer-v2>
 <blendMode>0</blendMode>
 <featureBlendMode>0</featureBlendMode>
 <layerGeometryType>2</layerGeometryType>
</qgis>
